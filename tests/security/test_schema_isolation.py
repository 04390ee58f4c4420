"""Every row belongs to a guild: a structural check over every table of every capability.

Walks ``Base.metadata`` (all capability modules are imported by ``db.models``), so a table
added by a capability that forgets ``guild_id`` fails here without anyone editing this file.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Table, UniqueConstraint

from db.models import Base

# Unique keys that are global on purpose, and why that leaks nothing.
GLOBAL_UNIQUE_KEYS = {
    ("events", ("uid",)): "iCalendar UID: a random UUID (plus the guild id), unique worldwide",
    ("guide_publications", ("slug",)): (
        "the public web address of a guide: one namespace for every network, and the guide "
        "it names is public anyway"
    ),
}

# Tables that are not per-guild data, and why.
NOT_GUILD_SCOPED = {
    "guilds": "the guild itself (its primary key is the guild id)",
    "command_sync_state": "the bot's command-tree hash per application scope, not guild data",
}


def _tables() -> list[Table]:
    return sorted(Base.metadata.tables.values(), key=lambda t: t.name)


def _guild_scoped() -> list[Table]:
    return [t for t in _tables() if t.name not in NOT_GUILD_SCOPED]


def test_the_walk_sees_every_capability() -> None:
    names = {t.name for t in _tables()}
    # If the walk saw only the foundation, the other checks would prove nothing.
    assert {"structures", "scheduled_deliveries", "audit_log"} <= names
    assert len(names) >= 10, sorted(names)


@pytest.mark.parametrize("table", _guild_scoped(), ids=lambda t: t.name)
def test_every_table_has_a_non_null_indexed_guild_id(table: Table) -> None:
    column = table.c.get("guild_id")
    assert column is not None, f"{table.name} has no guild_id: its rows would belong to no network"
    assert not column.nullable, f"{table.name}.guild_id is nullable"
    leading = {i.columns.keys()[0] for i in table.indexes} | {
        c.columns.keys()[0]
        for c in table.constraints
        if isinstance(c, UniqueConstraint) and c.columns.keys()
    }
    assert "guild_id" in leading, (
        f"{table.name}: no index starts with guild_id (every read filters on it)"
    )


def _scoped_by_parent(table: Table, columns: list[str]) -> bool:
    """A key holding a foreign key to a guild-scoped row is per guild: that row's id
    belongs to one guild only."""
    for column in columns:
        for fk in table.c[column].foreign_keys:
            if fk.column.table.name not in NOT_GUILD_SCOPED and "guild_id" in fk.column.table.c:
                return True
    return False


@pytest.mark.parametrize("table", _guild_scoped(), ids=lambda t: t.name)
def test_uniqueness_is_per_guild(table: Table) -> None:
    """A unique key without guild_id would let one network block (or probe) another's rows."""
    uniques: list[tuple[str, list[str]]] = [
        (c.name or "?", c.columns.keys())
        for c in table.constraints
        if isinstance(c, UniqueConstraint)
    ]
    uniques += [(i.name or "?", i.columns.keys()) for i in table.indexes if i.unique]
    for name, columns in uniques:
        if (table.name, tuple(columns)) in GLOBAL_UNIQUE_KEYS:
            continue
        assert "guild_id" in columns or _scoped_by_parent(table, columns), (
            f"{table.name}: unique {name} {columns} ignores guild_id"
        )


def test_the_exemptions_still_exist() -> None:
    """An exemption for a table that disappeared or gained guild_id is stale: remove it."""
    tables = Base.metadata.tables
    for name in NOT_GUILD_SCOPED:
        assert name in tables, f"stale exemption {name}"
        assert "guild_id" not in tables[name].c, f"{name} now has guild_id: drop the exemption"
    for table_name, columns in GLOBAL_UNIQUE_KEYS:
        table = tables[table_name]
        keys = [
            tuple(c.columns.keys()) for c in table.constraints if isinstance(c, UniqueConstraint)
        ]
        keys += [tuple(i.columns.keys()) for i in table.indexes if i.unique]
        assert columns in keys, f"stale exemption {table_name}{columns}"
