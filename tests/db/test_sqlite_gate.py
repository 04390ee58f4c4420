"""SQLite writers queue in the event loop (db/sqlite_gate.py): all succeed, in order,
without sleeping in SQLite's busy handler; an error releases the gate."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text

from db.engine import Database
from db.sqlite_gate import gate_of

metadata = MetaData()
notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("body", String, unique=True),
)


async def _database(tmp_path: Path) -> Database:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'gate.db'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return db


async def test_concurrent_writers_queue_and_all_commit(tmp_path: Path) -> None:
    db = await _database(tmp_path)
    gate = gate_of(db.engine)
    assert gate is not None
    try:

        async def write(n: int) -> None:
            async with db.transaction() as session:
                await session.execute(select(notes.c.id))  # reads do not take the gate
                await session.execute(insert(notes).values(body=f"note {n}"))
                await asyncio.sleep(0.01)  # hold the write lock across an await
                await session.execute(insert(notes).values(body=f"note {n} bis"))

        await asyncio.gather(*(write(n) for n in range(20)))
        async with db.session() as session:
            assert await session.scalar(select(text("count(*)")).select_from(notes)) == 40
        assert gate.waited > 0 and gate.timeouts == 0
    finally:
        await db.dispose()


async def test_a_failed_transaction_releases_the_gate(tmp_path: Path) -> None:
    db = await _database(tmp_path)
    try:
        with pytest.raises(Exception, match="UNIQUE"):
            async with db.transaction() as session:
                await session.execute(insert(notes).values(body="same"))
                await session.execute(insert(notes).values(body="same"))
        # The next writer does not wait for a gate nobody holds.
        async with asyncio.timeout(1):
            async with db.transaction() as session:
                await session.execute(insert(notes).values(body="after"))
        async with db.session() as session:
            assert list(await session.scalars(select(notes.c.body))) == ["after"]
        gate = gate_of(db.engine)
        assert gate is not None and gate.timeouts == 0
    finally:
        await db.dispose()


async def test_postgresql_has_no_gate(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        assert gate_of(db.engine) is None
    finally:
        await db.dispose()
