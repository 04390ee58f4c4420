"""/doc chercher through the real discord.py client and the emulated Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.harness import BotHarness
from db.models.library import LibrarySearch

# Nothing FTS5 or tsquery could search for: blanks, punctuation, operators, stop words.
NOTHING_TO_SEARCH = [
    "   ",
    "\t\u00a0\u2003",
    "?!… ***",
    '"" -- () * :',
    "« » — … ' ’",
    "_ _ __",
    "le de pour",
]


@pytest.fixture
async def lib(tmp_path) -> AsyncIterator[BotHarness]:  # type: ignore[no-untyped-def]
    async with BotHarness(
        tmp_path / "data", extensions=["cogs.core", "cogs.library"], seed_capabilities=False
    ) as h:
        yield h


async def test_a_query_without_any_word_is_refused_before_anything_runs(
    lib: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await lib.slash(
        "membre",
        "doc",
        subcommand="ajouter",
        options={"titre": "Fiche CAF", "lien": "https://exemple.fr/caf"},
    )
    searched: list[Any] = []
    search = lib.bot.documents.search

    async def spy(*args: Any, **kwargs: Any) -> Any:
        searched.append(args)
        return await search(*args, **kwargs)

    monkeypatch.setattr(lib.bot.documents, "search", spy)
    for query in NOTHING_TO_SEARCH:
        result = await lib.slash("membre", "doc", subcommand="chercher", options={"requete": query})
        assert result.ok, (query, result.error)
        assert "Tapez au moins un mot à chercher" in result.text, query
        # Answered at once, privately: no "thinking…" message, no result page.
        assert result.ephemeral and not result.deferred, query
        assert not result.buttons(), query
    assert searched == []
    async with lib.bot.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(LibrarySearch)) == 0

    # The same person's real search still runs and is remembered for its page buttons.
    found = await lib.slash("membre", "doc", subcommand="chercher", options={"requete": " caf "})
    assert "Fiche CAF" in found.text and len(searched) == 1
    async with lib.bot.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(LibrarySearch)) == 1
