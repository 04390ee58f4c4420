"""Pages of /audit (an ephemeral answer: a plain view is enough, nothing to persist)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.errors import ReportingView

PageRenderer = Callable[[int], Awaitable[tuple[discord.Embed, int]]]


class AuditPages(ReportingView):
    def __init__(self, render_page: PageRenderer, pages: int, owner_id: int) -> None:
        super().__init__(timeout=600)
        self.render_page = render_page
        self.pages = pages
        self.page = 0
        self.owner_id = owner_id
        self._refresh()

    def _refresh(self) -> None:
        self.previous.disabled = self.page <= 0
        self.next.disabled = self.page >= self.pages - 1

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return interaction.user.id == self.owner_id

    async def _show(self, interaction: discord.Interaction) -> None:
        embed, self.pages = await self.render_page(self.page)
        self._refresh()
        await interaction.response.edit_message(embed=embed, view=self)

    @discord.ui.button(label="◀", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction, _button: discord.ui.Button[Any]
    ) -> None:
        self.page = max(self.page - 1, 0)
        await self._show(interaction)

    @discord.ui.button(label="▶", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, _button: discord.ui.Button[Any]) -> None:
        self.page = min(self.page + 1, self.pages - 1)
        await self._show(interaction)
