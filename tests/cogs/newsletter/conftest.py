"""Newsletter test data, and a faster ``database`` fixture for this package.

The shared fixture creates and migrates a fresh PostgreSQL database for every test (about
2.5 s each); here each engine's database is created and migrated once per module and
emptied before every test, so the same tests still run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete

from db.engine import Database
from db.migrate import upgrade
from db.models import Base
from db.models.structures import Structure
from tests.conftest import _probe_postgres, create_pg_database, drop_pg_database

GUILD = 1001
OTHER_GUILD = 2002
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def add_structure(db: Database, guild_id: int = GUILD, nom: str = "CCAS de Mérignac") -> int:
    async with db.transaction() as session:
        structure = Structure(
            guild_id=guild_id,
            external_id=f"ext-{nom}",
            nom=nom,
            short_name="CCAS" if nom.startswith("CCAS") else None,
            commune="Mérignac",
            code_postal="33700",
            adresse="1 place de l'Hôtel de Ville",
            date_maj=date(2026, 11, 1),
        )
        session.add(structure)
        await session.flush()
        return structure.id


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def migrated_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('newsletter') / 'test.db'}"
    else:
        reason = _probe_postgres()
        if reason:
            pytest.skip(reason)
        url = asyncio.run(create_pg_database())
        request.addfinalizer(lambda: asyncio.run(drop_pg_database(url)))

    async def migrate() -> None:
        db = Database(url)
        await upgrade(db.engine)
        await db.dispose()

    asyncio.run(migrate())
    return url


@pytest.fixture
async def database(migrated_url: str) -> AsyncIterator[Database]:
    """A migrated, empty database on each engine (overrides the shared fixture)."""
    db = Database(migrated_url)
    async with db.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            await session.execute(delete(table))
    yield db
    await db.dispose()
