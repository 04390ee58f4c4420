"""The one-hop SQLite cursor (db/sqlite_driver.py) behaves as SQLAlchemy's own aiosqlite
cursor: same rows, row counts, generated ids, errors and transactions."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import create_async_engine

from db.engine import create_engine
from db.sqlite_driver import OneHopConnection

metadata = MetaData()
items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String, unique=True, nullable=False),
    Column("n", Integer, nullable=False),
)


async def _exercise(engine) -> list[object]:
    """The same script on an engine; returns everything observable."""
    seen: list[object] = []
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    async with engine.begin() as conn:
        result = await conn.execute(insert(items).values(name="a", n=1))
        seen.append(("pk", result.inserted_primary_key))
        await conn.execute(insert(items), [{"name": f"b{i}", "n": i} for i in range(5)])
        returned = await conn.execute(insert(items).values(name="c", n=9).returning(items.c.id))
        seen.append(("returning", returned.scalar_one()))
        seen.append(
            (
                "update",
                (await conn.execute(update(items).where(items.c.n < 3).values(n=0))).rowcount,
            )
        )
        seen.append(
            ("delete", (await conn.execute(delete(items).where(items.c.name == "b4"))).rowcount)
        )
    async with engine.connect() as conn:
        rows = (await conn.execute(select(items).order_by(items.c.id))).all()
        seen.append(("rows", [tuple(r) for r in rows]))
        seen.append(("keys", list((await conn.execute(select(items.c.name, items.c.n))).keys())))
        seen.append(("empty", (await conn.execute(select(items).where(items.c.n > 100))).all()))
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(insert(items).values(name="z", n=1))
            await conn.execute(insert(items).values(name="a", n=1))  # duplicate: whole txn undone
    async with engine.connect() as conn:
        seen.append(
            (
                "after rollback",
                (await conn.execute(select(items.c.name).where(items.c.name == "z"))).all(),
            )
        )
        with pytest.raises(OperationalError):
            await conn.exec_driver_sql("SELECT * FROM no_such_table")
        seen.append(
            ("driver sql", (await conn.exec_driver_sql("SELECT count(*) FROM items")).scalar())
        )
    return seen


async def test_one_hop_cursor_matches_sqlalchemy_default(tmp_path: Path) -> None:
    one_hop = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'one.db'}")
    default = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'default.db'}")
    try:
        async with one_hop.connect() as conn:
            raw = await conn.get_raw_connection()
            assert isinstance(raw.dbapi_connection, OneHopConnection)
        assert await _exercise(one_hop) == await _exercise(default)
    finally:
        await one_hop.dispose()
        await default.dispose()
