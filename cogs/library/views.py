"""Buttons of the library.

Every button is a ``DynamicItem`` whose ``custom_id`` carries what it needs (a document id,
or a saved search id and a page), so buttons keep working after a restart.
Their callbacks hand over to the cog, which does the checks and the work.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import report_interaction_error
from bot.i18n import t

if TYPE_CHECKING:
    from cogs.library.cog import LibraryCog


def _cog(interaction: discord.Interaction) -> LibraryCog:
    cog = interaction.client.get_cog("LibraryCog")  # type: ignore[attr-defined]
    if cog is None:
        raise RuntimeError("the library capability is not loaded")
    return cog  # type: ignore[no-any-return]


async def _run(
    interaction: discord.Interaction, action: Callable[[LibraryCog], Awaitable[None]]
) -> None:
    """Run a button's action; failures go through the one error handler."""
    try:
        await action(_cog(interaction))
    except Exception as exc:  # every failure is reported to the user, with an id if unexpected
        await report_interaction_error(interaction, exc)


class ReceiveButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"lib:get:(?P<doc>\d+)"
):
    def __init__(self, document_id: int, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.primary,
                emoji="📥",
                custom_id=f"lib:get:{document_id}",
            )
        )
        self.document_id = document_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> ReceiveButton:
        return cls(int(match["doc"]), item.label or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        await _run(interaction, lambda cog: cog.send_file(interaction, self.document_id))


class CardButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"lib:card:(?P<doc>\d+)"):
    def __init__(self, document_id: int, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.secondary,
                custom_id=f"lib:card:{document_id}",
            )
        )
        self.document_id = document_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> CardButton:
        return cls(int(match["doc"]), item.label or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        await _run(interaction, lambda cog: cog.show_card(interaction, self.document_id))


class PageButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"lib:page:(?P<search>\d+):(?P<page>\d+)(?::(?P<side>[pn]))?",
):
    def __init__(self, search_id: int, page: int, label: str, side: str, disabled: bool) -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.secondary,
                # The side keeps "previous" and "next" distinct when both lead to one page.
                custom_id=f"lib:page:{search_id}:{page}:{side}",
                disabled=disabled,
            )
        )
        self.search_id = search_id
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> PageButton:
        return cls(
            int(match["search"]), int(match["page"]), item.label or "", match["side"] or "n", False
        )

    async def callback(self, interaction: discord.Interaction) -> None:
        await _run(interaction, lambda cog: cog.show_page(interaction, self.search_id, self.page))


DYNAMIC_ITEMS = (ReceiveButton, CardButton, PageButton)


def results_view(
    document_ids: list[int],
    locale: str,
    *,
    search_id: int | None = None,
    page: int = 0,
    has_more: bool = False,
) -> discord.ui.View:
    """ "Recevoir n" and "Fiche n" for each listed document, then the page buttons."""
    view = discord.ui.View(timeout=None)
    per_row = 5
    for start in range(0, len(document_ids), per_row):
        chunk = document_ids[start : start + per_row]
        row = (start // per_row) * 2
        for n, document_id in enumerate(chunk, start=start + 1):
            button = ReceiveButton(document_id, t("library.receive", locale, n=n))
            button.item.row = row
            view.add_item(button)
        for n, document_id in enumerate(chunk, start=start + 1):
            card = CardButton(document_id, t("library.card", locale, n=n))
            card.item.row = row + 1
            view.add_item(card)
    if search_id is not None and (page > 0 or has_more):
        previous = PageButton(
            search_id, max(page - 1, 0), t("library.previous", locale), "p", page == 0
        )
        following = PageButton(search_id, page + 1, t("library.next", locale), "n", not has_more)
        previous.item.row = following.item.row = 4
        view.add_item(previous)
        view.add_item(following)
    return view


def card_view(document_id: int, has_file: bool, locale: str) -> discord.ui.View | None:
    if not has_file:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(ReceiveButton(document_id, t("library.receive_file", locale)))
    return view
