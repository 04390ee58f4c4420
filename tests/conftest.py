"""Shared fixtures: a migrated database on SQLite (always) and PostgreSQL (when one answers).

Each PostgreSQL-backed test gets a throwaway database created from the server named by
``AIGUILLAGE_TEST_PG_URL`` (default: postgres@127.0.0.1:5432/test), so concurrent runs
never see each other's rows.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from db.engine import Database
from db.migrate import upgrade

PG_URL = os.environ.get(
    "AIGUILLAGE_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
_pg_reason: str | None = None


async def _admin_execute(sql: str, timeout: float = 10) -> None:
    """Run one statement on the test server's maintenance database."""
    import asyncpg

    url = make_url(PG_URL)
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database,
        timeout=timeout,
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _probe_postgres() -> str | None:
    """None if PostgreSQL answers, else the reason to skip (shown by pytest -rs)."""
    global _pg_reason
    if _pg_reason is not None:
        return _pg_reason or None
    try:
        # Run in a thread: the caller may be inside a running event loop (async fixtures).
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, _admin_execute("SELECT 1", timeout=3)).result()
        _pg_reason = ""
    except Exception as exc:
        _pg_reason = f"PostgreSQL not reachable at {PG_URL} ({type(exc).__name__}: {exc})"
    return _pg_reason or None


def _new_database_url() -> tuple[str, str]:
    name = f"aig_test_{uuid.uuid4().hex[:12]}"
    return name, make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


async def create_pg_database(template: str | None = None) -> str:
    """Create a database on the test server (empty, or a copy of ``template``); its URL."""
    name, url = _new_database_url()
    suffix = f' TEMPLATE "{template}"' if template else ""
    await _admin_execute(f'CREATE DATABASE "{name}"{suffix}')
    return url


async def drop_pg_database(db_url: str) -> None:
    await _admin_execute(f'DROP DATABASE IF EXISTS "{make_url(db_url).database}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """A URL to an EMPTY database on each engine."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    reason = _probe_postgres()
    if reason:
        pytest.skip(reason)
    url = asyncio.run(create_pg_database())
    request.addfinalizer(lambda: asyncio.run(drop_pg_database(url)))
    return url


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> str:
    """A URL to an EMPTY throwaway PostgreSQL database (skipped where none answers)."""
    reason = _probe_postgres()
    if reason:
        pytest.skip(reason)
    url = asyncio.run(create_pg_database())
    request.addfinalizer(lambda: asyncio.run(drop_pg_database(url)))
    return url


@pytest.fixture
def sqlite_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


# Migrating for every test is slow (PostgreSQL above all): each session migrates one
# template per engine, and each test gets a copy (a file copy, or CREATE DATABASE … TEMPLATE).
_templates: dict[str, str] = {}


async def _sqlite_template(factory: pytest.TempPathFactory) -> Path:
    if "sqlite" not in _templates:
        path = factory.mktemp("template") / "template.db"
        db = Database(f"sqlite+aiosqlite:///{path}")
        await upgrade(db.engine)
        async with db.engine.connect() as conn:
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        await db.dispose()
        _templates["sqlite"] = str(path)
    return Path(_templates["sqlite"])


async def _pg_template() -> str:
    if "postgresql" not in _templates:
        url = await create_pg_database()
        db = Database(url)
        await upgrade(db.engine)
        await db.dispose()
        _templates["postgresql"] = make_url(url).database or ""
        atexit.register(lambda: asyncio.run(drop_pg_database(url)))
    return _templates["postgresql"]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database(
    request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    """A migrated database on each engine (the same test runs on both)."""
    if request.param == "sqlite":
        target = tmp_path / "test.db"
        shutil.copyfile(await _sqlite_template(tmp_path_factory), target)
        url = f"sqlite+aiosqlite:///{target}"
    else:
        reason = _probe_postgres()
        if reason:
            pytest.skip(reason)
        url = await create_pg_database(template=await _pg_template())
    db = Database(url)
    yield db
    await db.dispose()
    if request.param == "postgresql":
        await drop_pg_database(url)


@pytest.fixture
async def sqlite_database(sqlite_url: str) -> AsyncIterator[Database]:
    db = Database(sqlite_url)
    await upgrade(db.engine)
    yield db
    await db.dispose()
