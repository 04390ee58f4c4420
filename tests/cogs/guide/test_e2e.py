"""`/guide` through the real discord.py client and the emulated Discord, and the guide's
pages served by the bot's own web side."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy import select

from bot.harness import BotHarness
from db.models import AuditEntry
from db.models.guide import GuidePublication


@pytest.fixture
async def guide_harness(tmp_path) -> AsyncIterator[BotHarness]:  # type: ignore[no-untyped-def]
    """The demo network with the core and the guide, without the demo's own publication."""
    async with BotHarness(
        tmp_path / "data", extensions=["cogs.core", "cogs.guide"], seed_capabilities=False
    ) as h:
        yield h


async def fetch(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, html.unescape(await response.text())


def no_mentions(harness: BotHarness) -> None:
    for call in harness.emu.calls:
        if call.method in ("POST", "PATCH") and isinstance(call.json, dict):
            body = call.json.get("data", call.json)
            if isinstance(body, dict) and ("content" in body or "embeds" in body):
                assert body.get("allowed_mentions", {}).get("parse", []) == [], call.path


async def test_publish_link_and_withdraw(guide_harness: BotHarness) -> None:
    h = guide_harness
    bot = h.bot
    before = await fetch(bot.web.url("/guide/merignac/"))
    assert before[0] == 404 and "Ce guide n'est pas publié" in before[1]

    published = await h.slash(
        "coordinateur", "guide", subcommand="publier", options={"adresse": "Mérignac"}
    )
    assert published.ephemeral, published
    assert "Le guide des habitants est publié" in published.text
    assert bot.web.url("/guide/merignac/") in published.text
    assert "AIGUILLAGE_PUBLIC_URL" in published.text  # the harness has no public address
    status, page = await fetch(bot.web.url("/guide/merignac/"))
    assert status == 200 and "Maison des Habitants de Beutre" in page
    assert "Réseau numérique inclusif — Mérignac" in page  # the server's name is the title

    link = await h.slash("membre", "guide", subcommand="lien")
    assert link.ephemeral and bot.web.url("/guide/merignac/") in link.text
    assert "guide.pdf" in link.text and "datapackage.json" in link.text

    withdrawn = await h.slash("coordinateur", "guide", subcommand="retirer")
    assert "retiré" in withdrawn.text
    status, page = await fetch(bot.web.url("/guide/merignac/lieu/merignac-ccas"))
    assert status == 404 and "Ce guide n'est pas publié" in page
    not_yet = await h.slash("membre", "guide", subcommand="lien")
    assert "pas encore publié" in not_yet.text

    async with bot.db.session() as session:
        actions = [e.action for e in await session.scalars(select(AuditEntry))]
    assert actions.count("guide.publish") == 1 and actions.count("guide.withdraw") == 1
    no_mentions(h)


async def test_refusals_change_nothing(guide_harness: BotHarness) -> None:
    h = guide_harness
    refused = await h.slash("membre", "guide", subcommand="publier")
    assert refused.ephemeral and "réservée aux coordinateurs" in refused.text
    referent = await h.slash("referent", "guide", subcommand="retirer")
    assert "réservée aux coordinateurs" in referent.text
    bad = await h.slash("coordinateur", "guide", subcommand="publier", options={"adresse": "a!"})
    assert "n'est pas valable" in bad.text and "Rien n'a été modifié" in bad.text
    nothing = await h.slash("coordinateur", "guide", subcommand="retirer")
    assert "rien à retirer" in nothing.text
    async with h.bot.db.session() as session:
        assert (await session.scalars(select(GuidePublication))).first() is None


async def test_english_locale(guide_harness: BotHarness) -> None:
    h = guide_harness
    await h.slash("coordinateur", "guide", subcommand="publier")
    answer = await h.slash("english", "guide", subcommand="lien", locale="en-US")
    assert "Address of the residents' guide" in answer.text
    sync = next(c for c in h.emu.calls if c.method == "PUT" and "/commands" in c.path and c.json)
    guide = next(cmd for cmd in sync.json if cmd["name"] == "guide")
    names = {o["name"]: o.get("name_localizations", {}) for o in guide["options"]}
    assert names["publier"].get("en-US") == "publish"


async def test_demo_publishes_the_guide(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with BotHarness(tmp_path / "data", extensions=["cogs.core", "cogs.guide"]) as h:
        status, page = await fetch(h.bot.web.url("/guide/merignac/"))
        assert status == 200 and "Guide numérique de Mérignac" in page
        # Restarting the demo keeps the coordinators' choice.
        await h.slash("coordinateur", "guide", subcommand="retirer")
        await h.restart()
        await h.seed_capability_demos()
        status, _page = await fetch(h.bot.web.url("/guide/merignac/"))
        assert status == 404
