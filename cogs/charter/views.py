"""The charter's persistent acceptance button and the pages of /charte voir."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import ReportingView, report_interaction_error

if TYPE_CHECKING:
    from cogs.charter.cog import CharterCog


class AcceptButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"charter:accept:(?P<guild>\d+):(?P<version>\d+)",
):
    """Works in the server and in reminder DMs (hence the guild id), after any restart.
    The acceptance is recorded for whoever clicks: nobody can accept for somebody else."""

    def __init__(self, guild_id: int, version_id: int, label: str = "J'accepte la charte") -> None:
        self.guild_id = guild_id
        self.version_id = version_id
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.success,
                emoji="✍️",
                custom_id=f"charter:accept:{guild_id}:{version_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> AcceptButton:
        return cls(int(match["guild"]), int(match["version"]), item.label or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        # Dynamic items' errors bypass views' on_error: route them to the one handler.
        try:
            cog: CharterCog = interaction.client.get_cog("CharterCog")  # type: ignore[attr-defined, assignment]
            await cog.accept(interaction, self.guild_id, self.version_id)
        except Exception as exc:
            await report_interaction_error(interaction, exc)


def accept_view(guild_id: int, version_id: int, label: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(AcceptButton(guild_id, version_id, label))
    return view


class CharterPages(ReportingView):
    """Pages of a long charter text; the accept button stays on every page."""

    def __init__(
        self, embeds: list[discord.Embed], accept: AcceptButton | None, owner_id: int
    ) -> None:
        super().__init__(timeout=900)
        self.embeds = embeds
        self.page = 0
        self.owner_id = owner_id
        if accept is not None:
            self.add_item(accept)
        if len(embeds) <= 1:
            self.remove_item(self.previous)
            self.remove_item(self.next)
        self._refresh()

    def _refresh(self) -> None:
        self.previous.disabled = self.page <= 0
        self.next.disabled = self.page >= len(self.embeds) - 1

    async def _show(self, interaction: discord.Interaction) -> None:
        self._refresh()
        await interaction.response.edit_message(embed=self.embeds[self.page], view=self)

    @discord.ui.button(label="◀", style=discord.ButtonStyle.secondary, row=1)
    async def previous(
        self, interaction: discord.Interaction, _button: discord.ui.Button[Any]
    ) -> None:
        self.page = max(self.page - 1, 0)
        await self._show(interaction)

    @discord.ui.button(label="▶", style=discord.ButtonStyle.secondary, row=1)
    async def next(self, interaction: discord.Interaction, _button: discord.ui.Button[Any]) -> None:
        self.page = min(self.page + 1, len(self.embeds) - 1)
        await self._show(interaction)
