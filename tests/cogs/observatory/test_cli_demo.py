"""`aiguillage observatory report` and the demo network's observatory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pypdf
import pytest
from sqlalchemy import func, select

from bot.cli import main
from bot.clock import Clock
from bot.config import load_settings
from bot.harness import BotHarness
from db.engine import Database
from db.migrate import upgrade
from db.models import Document
from db.models.observatory import DemandRecord, ObservatorySnapshot

from .scenario import seed_scenario


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AIGUILLAGE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("AIGUILLAGE_DATABASE_URL", raising=False)
    return tmp_path


def test_report_on_the_command_line(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async def seed() -> None:
        db = Database(load_settings().effective_database_url)
        await upgrade(db.engine)
        await seed_scenario(db, 9)
        await db.dispose()

    asyncio.run(seed())
    out = env / "out"
    out.mkdir()
    assert (
        main(
            [
                "observatory",
                "report",
                "--guild",
                "9",
                "--period",
                "2026",
                "--output",
                str(out),
                "--file",
            ]
        )
        == 0
    )
    assert "écrits" in capsys.readouterr().out
    pdf = pypdf.PdfReader(out / "observatoire-2026.pdf")
    assert "Observatoire du réseau — année 2026" in pdf.pages[0].extract_text()
    assert "synthese,requests,,,16," in (out / "observatoire-2026.csv").read_text("utf-8-sig")

    async def filed() -> int:
        db = Database(load_settings().effective_database_url)
        async with db.session() as session:
            count = await session.scalar(
                select(func.count()).select_from(Document).where(Document.origin == "report")
            )
        await db.dispose()
        return int(count or 0)

    assert asyncio.run(filed()) == 2
    assert main(["observatory", "report", "--guild", "9", "--period", "l'an 3000"]) == 2
    assert "non reconnue" in capsys.readouterr().err
    assert main(["observatory", "report", "--guild", "9", "--output", str(env / "nowhere")]) == 2


@pytest.fixture
async def demo(tmp_path) -> AsyncIterator[BotHarness]:  # type: ignore[no-untyped-def]
    async with BotHarness(
        tmp_path / "data",
        extensions=["cogs.core", "cogs.directory", "cogs.observatory"],
        clock=Clock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC)),
    ) as harness:
        yield harness


async def test_demo_network_has_an_observatory_to_show(demo: BotHarness) -> None:
    assert demo.bot is not None
    async with demo.bot.db.session() as session:
        logged = await session.scalar(
            select(func.count())
            .select_from(DemandRecord)
            .where(DemandRecord.guild_id == demo.guild_id)
        )
        days = set(
            await session.scalars(
                select(ObservatorySnapshot.day).where(ObservatorySnapshot.guild_id == demo.guild_id)
            )
        )
    # The previous semester's record (and today's, when the monthly planner already ran).
    assert logged == 240 and date(2026, 6, 30) in days
    result = await demo.slash("coordinateur", "observatoire", subcommand="voir", timeout=30)
    assert "demandes /orienter" in result.text and "(avant :" in result.text
    assert "CAF" in result.text
    # Seeding again (a restart on the same database) adds nothing.
    from cogs.observatory.demo import seed_demo

    await seed_demo(demo.bot, demo.guild_id, {})
    async with demo.bot.db.session() as session:
        again = await session.scalar(
            select(func.count())
            .select_from(DemandRecord)
            .where(DemandRecord.guild_id == demo.guild_id)
        )
    assert again == 240
