"""Newsletter through the real discord.py client and the emulated Discord: from a member's
proposal to the scheduled publication, across a restart and a deleted channel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sqlalchemy import select

from bot.clock import Clock
from bot.harness import BotHarness
from db.models import Document, ScheduledDelivery
from db.models.core import DeliveryStatus
from db.models.newsletter import IssueStatus, ItemStatus, NewsletterIssue, NewsletterItem

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def nl(tmp_path) -> AsyncIterator[BotHarness]:  # type: ignore[no-untyped-def]
    """Core + newsletter on the demo network, the clock on 1 December 2026."""
    async with BotHarness(
        tmp_path / "data",
        extensions=["cogs.core", "cogs.newsletter"],
        seed_capabilities=False,
        clock=Clock(START),
        settings_overrides={"public_url": "https://aiguillage.example"},
    ) as h:
        yield h


def texts(messages: list[dict]) -> str:  # type: ignore[type-arg]
    from bot.emulator import message_text

    return "\n".join(message_text(m) for m in messages)


async def propose(h: BotHarness, person: str, title: str, body: str = "Mardi 14h au CCAS.", **options):  # type: ignore[no-untyped-def]
    opened = await h.slash(person, "newsletter proposer", options=options)
    assert opened.modal is not None, opened
    return await h.emu.submit_modal(
        h.guild_id, h.person(person), fields={"Titre": title, "Texte": body, "Lien (facultatif)": options.pop("_link", "")}
    )


async def items(h: BotHarness) -> list[NewsletterItem]:
    async with h.bot.db.session() as session:
        return list(await session.scalars(select(NewsletterItem).order_by(NewsletterItem.id)))


async def test_proposal_gets_a_receipt_and_a_review_card(nl: BotHarness) -> None:
    result = await propose(nl, "membre", "Atelier smartphone")
    assert result.ephemeral
    assert "proposition n° 1" in result.text and "Atelier smartphone" in result.text
    card = nl.emu.last_message(nl.channel("coordination"))
    assert card is not None and "Proposition n° 1 — Atelier smartphone" in texts([card])
    labels = [c["label"] for row in card["components"] for c in row["components"]]
    assert labels == ["Accepter", "Modifier", "Refuser"]
    assert card.get("allowed_mentions", {"parse": []})["parse"] == [] if "allowed_mentions" in card else True
    (item,) = await items(nl)
    assert item.status == ItemStatus.PENDING and item.submitter_id == nl.person("membre")
