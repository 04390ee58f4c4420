"""Fixtures of the residents' guide: a small Mérignac directory with private fields set,
so every test can check that they never leak."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.demo_network import structure_from_standard
from cogs.guide.publication import publish
from db.engine import Database
from db.migrate import upgrade
from db.models import Referent, Structure
from tests.conftest import _probe_postgres, create_pg_database, drop_pg_database

GUILD_ID = 111_222_333_444_555_666
SLUG = "merignac"
OTHER_GUILD_ID = 999_888_777_666_555_444
REFERENT_USER_ID = 424_242_424_242_424_242
# Tuesday 24 November 2026, 10:00 in Paris (09:00 UTC): most places are open.
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
SAMPLE = Path(__file__).resolve().parents[3] / "config" / "demo" / "structures.json"

# Strings that must never reach a public page, a PDF or an open-data file.
SECRET_NOTE = "NOTE-INTERNE-Ne-pas-publier-conflit-avec-la-mairie"
SECRET_REFERENT_NAME = "Rachid Benali-Secret"


def sample_rows() -> list[dict[str, Any]]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


async def seed_directory(db: Database, guild_id: int = GUILD_ID) -> dict[str, int]:
    """The demo sample, with an internal note and a referent on every place, one archived
    place and one that does not receive the public. Returns external id -> id."""
    async with db.transaction() as session:
        for row in sample_rows():
            structure = structure_from_standard(row, guild_id)
            structure.internal_notes = f"{SECRET_NOTE} ({SECRET_REFERENT_NAME})"
            structure.verified_by = REFERENT_USER_ID
            structure.discord_role_id = REFERENT_USER_ID + 1
            session.add(structure)
        archived = structure_from_standard(
            {**sample_rows()[0], "id": "ferme-archive", "nom": "Ancien Point Numérique Archivé"},
            guild_id,
        )
        archived.archived_at = NOW
        session.add(archived)
        back_office = structure_from_standard(
            {
                **sample_rows()[0],
                "id": "back-office",
                "nom": "Plateforme Téléphonique Sans Accueil",
                "modalites_acces": "Ce lieu n'accueille pas de public",
            },
            guild_id,
        )
        session.add(back_office)
        await session.flush()
        rows = await session.execute(
            select(Structure.external_id, Structure.id).where(Structure.guild_id == guild_id)
        )
        ids = {external_id: structure_id for external_id, structure_id in rows}
        for structure_id in ids.values():
            session.add(
                Referent(guild_id=guild_id, structure_id=structure_id, user_id=REFERENT_USER_ID)
            )
    return ids


@pytest.fixture
async def seeded(database: Database) -> Database:
    await seed_directory(database)
    return database


async def publish_guide(db: Database, guild_id: int = GUILD_ID, slug: str = SLUG) -> None:
    async with db.transaction() as session:
        await publish(
            session,
            guild_id,
            default_name="Réseau numérique inclusif — Mérignac",
            slug=slug,
            title=None,
            by=1,
            now=NOW,
        )


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def published_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database seeded and published once per module and engine, for tests that only
    read (creating a PostgreSQL database per test would make the suite slow)."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('guide') / 'published.db'}"
    else:
        reason = _probe_postgres()
        if reason:
            pytest.skip(reason)
        url = asyncio.run(create_pg_database())
        request.addfinalizer(lambda: asyncio.run(drop_pg_database(url)))

    async def prepare() -> None:
        db = Database(url)
        try:
            await upgrade(db.engine)
            await seed_directory(db)
            await publish_guide(db)
        finally:
            await db.dispose()

    asyncio.run(prepare())
    return url


@pytest.fixture
async def published(published_url: str) -> AsyncIterator[Database]:
    """The shared seeded and published database: do not write to it."""
    db = Database(published_url)
    yield db
    await db.dispose()
