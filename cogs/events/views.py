"""Buttons and selects of events. The announcement's buttons are ``DynamicItem``s with
stable custom ids (``events:rsvp:<event id>:<answer>``), so they keep working after a
restart without any view to re-register per message."""

from __future__ import annotations

import re
from typing import Any, Protocol

import discord

from bot.errors import ReportingView, report_interaction_error
from bot.i18n import t

COG_NAME = "EventsCog"
RSVP_EMOJIS = {"yes": "✅", "no": "❌", "rep": "🤝"}
RSVP_STYLES = {
    "yes": discord.ButtonStyle.success,
    "no": discord.ButtonStyle.secondary,
    "rep": discord.ButtonStyle.primary,
}


class EventsHandlers(Protocol):
    async def handle_rsvp(
        self, interaction: discord.Interaction, event_id: int, answer: str
    ) -> None: ...

    async def handle_delegate(
        self, interaction: discord.Interaction, event_id: int, delegate: discord.abc.User
    ) -> None: ...

    async def handle_ics(self, interaction: discord.Interaction, event_id: int) -> None: ...

    async def handle_dm_opt_out(self, interaction: discord.Interaction, guild_id: int) -> None: ...


def _handlers(interaction: discord.Interaction) -> EventsHandlers:
    cog = interaction.client.get_cog(COG_NAME)  # type: ignore[attr-defined]
    if cog is None:
        raise RuntimeError("events capability not loaded")
    return cog  # type: ignore[return-value]


async def _guarded(interaction: discord.Interaction, call: Any) -> None:
    """Dynamic items' errors are only logged by discord.py: answer through the one handler."""
    try:
        await call
    except Exception as exc:  # every failure gets the user-facing message
        await report_interaction_error(interaction, exc)


class RsvpButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"events:rsvp:(?P<event_id>\d+):(?P<answer>yes|no|rep)",
):
    def __init__(self, event_id: int, answer: str, locale: str = "fr") -> None:
        super().__init__(
            discord.ui.Button(
                label=t(f"events.button_{answer}", locale),
                style=RSVP_STYLES[answer],
                emoji=RSVP_EMOJIS[answer],
                custom_id=f"events:rsvp:{event_id}:{answer}",
            )
        )
        self.event_id = event_id
        self.answer = answer

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Button[Any],
        match: re.Match[str],
    ) -> RsvpButton:
        return cls(int(match["event_id"]), match["answer"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await _guarded(
            interaction, _handlers(interaction).handle_rsvp(interaction, self.event_id, self.answer)
        )


class IcsButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"events:ics:(?P<event_id>\d+)"
):
    def __init__(self, event_id: int, locale: str = "fr") -> None:
        super().__init__(
            discord.ui.Button(
                label=t("events.button_ics", locale),
                style=discord.ButtonStyle.secondary,
                emoji="📅",
                custom_id=f"events:ics:{event_id}",
            )
        )
        self.event_id = event_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Button[Any],
        match: re.Match[str],
    ) -> IcsButton:
        return cls(int(match["event_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _guarded(interaction, _handlers(interaction).handle_ics(interaction, self.event_id))


class DmOptOutButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"events:optout:(?P<guild_id>\d+)"
):
    """In reminder DMs (no guild there): the guild id travels in the custom id."""

    def __init__(self, guild_id: int, locale: str = "fr") -> None:
        super().__init__(
            discord.ui.Button(
                label=t("events.button_optout", locale),
                style=discord.ButtonStyle.secondary,
                emoji="🔕",
                custom_id=f"events:optout:{guild_id}",
            )
        )
        self.guild_id = guild_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Button[Any],
        match: re.Match[str],
    ) -> DmOptOutButton:
        return cls(int(match["guild_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _guarded(
            interaction, _handlers(interaction).handle_dm_opt_out(interaction, self.guild_id)
        )


DYNAMIC_ITEMS = (RsvpButton, IcsButton, DmOptOutButton)


def announcement_view(event_id: int, *, open_for_answers: bool) -> discord.ui.View:
    """RSVP buttons while answers are open; the .ics button always."""
    view = discord.ui.View(timeout=None)
    if open_for_answers:
        for answer in ("yes", "no", "rep"):
            view.add_item(RsvpButton(event_id, answer))
    view.add_item(IcsButton(event_id))
    return view


def reminder_dm_view(guild_id: int, jump_url: str | None, locale: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if jump_url:
        view.add_item(
            discord.ui.Button(label=t("events.button_answer", locale), url=jump_url, emoji="🗳️")
        )
    view.add_item(DmOptOutButton(guild_id, locale))
    return view


class DelegateSelectView(ReportingView):
    """Ephemeral: choose the colleague who will represent you."""

    def __init__(self, event_id: int, locale: str) -> None:
        super().__init__(timeout=600)
        self.event_id = event_id
        select: discord.ui.UserSelect[DelegateSelectView] = discord.ui.UserSelect(
            placeholder=t("events.delegate_placeholder", locale), min_values=1, max_values=1
        )
        select.callback = self._chosen  # type: ignore[method-assign]
        self.select = select
        self.add_item(select)

    async def _chosen(self, interaction: discord.Interaction) -> None:
        delegate = self.select.values[0]
        await _handlers(interaction).handle_delegate(interaction, self.event_id, delegate)
