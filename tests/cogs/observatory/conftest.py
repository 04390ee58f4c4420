"""One migrated database per test module and engine (SQLite, and PostgreSQL when it
answers), shared by the module's tests; each test works in its own guild, so tests stay
independent while migrations run once instead of once per test."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest

from db.engine import Database
from db.migrate import upgrade
from tests.conftest import _probe_postgres, create_pg_database, drop_pg_database

_guilds = itertools.count(910_000_000_000_000_001)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def migrated_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('observatory') / 'test.db'}"
    else:
        reason = _probe_postgres()
        if reason:
            pytest.skip(reason)
        url = asyncio.run(create_pg_database())
        request.addfinalizer(lambda: asyncio.run(drop_pg_database(url)))

    async def migrate() -> None:
        database = Database(url)
        await upgrade(database.engine)
        await database.dispose()

    asyncio.run(migrate())
    return url


@pytest.fixture
async def db(migrated_url: str) -> AsyncIterator[Database]:
    database = Database(migrated_url)
    yield database
    await database.dispose()


@pytest.fixture
def guild() -> int:
    """A guild of its own for each test (rows of other tests are other guilds')."""
    return next(_guilds)
