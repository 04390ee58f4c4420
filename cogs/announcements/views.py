"""Announcement components: the preview's buttons (persistent: the draft is in the
database) and the modals for writing and editing."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import ReportingModal, report_interaction_error

if TYPE_CHECKING:
    from cogs.announcements.cog import AnnouncementsCog


def _cog(interaction: discord.Interaction) -> AnnouncementsCog:
    return interaction.client.get_cog("AnnouncementsCog")  # type: ignore[attr-defined, return-value]


class DraftButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"annonce:(?P<action>publish|discard):(?P<id>\d+)",
):
    def __init__(self, action: str, announcement_id: int, label: str) -> None:
        self.action = action
        self.announcement_id = announcement_id
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.success
                if action == "publish"
                else discord.ButtonStyle.secondary,
                custom_id=f"annonce:{action}:{announcement_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> DraftButton:
        return cls(match["action"], int(match["id"]), item.label or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        # Dynamic items' errors bypass views' on_error: route them to the one handler.
        try:
            if self.action == "publish":
                await _cog(interaction).confirm(interaction, self.announcement_id)
            else:
                await _cog(interaction).discard(interaction, self.announcement_id)
        except Exception as exc:
            await report_interaction_error(interaction, exc)


def preview_view(announcement_id: int, publish_label: str, discard_label: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(DraftButton("publish", announcement_id, publish_label))
    view.add_item(DraftButton("discard", announcement_id, discard_label))
    return view


class AnnouncementModal(ReportingModal):
    """Title, text and optional link; ``on_done`` receives the three values."""

    def __init__(
        self,
        *,
        title: str,
        labels: tuple[str, str, str],
        on_done: Any,
        defaults: tuple[str, str, str] = ("", "", ""),
    ) -> None:
        super().__init__(title=title[:45], custom_id="annonce:modal")
        self.on_done = on_done
        self.heading: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=labels[0], max_length=256, default=defaults[0] or None, custom_id="title"
        )
        self.body: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=labels[1],
            style=discord.TextStyle.paragraph,
            max_length=4000,
            default=defaults[1] or None,
            custom_id="body",
        )
        self.link: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=labels[2],
            required=False,
            max_length=1000,
            default=defaults[2] or None,
            custom_id="link",
        )
        for item in (self.heading, self.body, self.link):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.on_done(interaction, self.heading.value, self.body.value, self.link.value)
