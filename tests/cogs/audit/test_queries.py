import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from cogs.audit.errors import AuditError
from cogs.audit.queries import AuditFilter, distinct_actions, export_csv, parse_since, search
from db.engine import Database
from db.models.core import AuditEntry
from tests.network_factories import GUILD, NOW, OTHER_GUILD


@pytest.fixture
async def log(database: Database) -> Database:
    async with database.transaction() as session:
        session.add_all(
            [
                AuditEntry(
                    guild_id=GUILD,
                    at=NOW - timedelta(days=10),
                    actor_id=1,
                    action="referent.designate",
                    target="user:11",
                    structure_id=3,
                    details={"rank": "titular"},
                ),
                AuditEntry(
                    guild_id=GUILD,
                    at=NOW - timedelta(days=2),
                    actor_id=1,
                    action="referent.remove",
                    target="user:11",
                    structure_id=3,
                    details={},
                ),
                AuditEntry(
                    guild_id=GUILD,
                    at=NOW - timedelta(hours=1),
                    actor_id=11,
                    action="onboarding.approve",
                    target="user:50 (Zoé 100%)",
                    structure_id=3,
                    details={},
                ),
                AuditEntry(
                    guild_id=GUILD,
                    at=NOW,
                    actor_id=20,
                    action="charter.accept",
                    target="version:v2",
                    structure_id=None,
                    details={},
                ),
                AuditEntry(
                    guild_id=OTHER_GUILD,
                    at=NOW,
                    actor_id=1,
                    action="referent.designate",
                    target="user:99",
                    structure_id=None,
                    details={},
                ),
            ]
        )
    return database


async def _actions(database: Database, audit_filter: AuditFilter) -> list[str]:
    async with database.session() as session:
        rows, total = await search(session, GUILD, audit_filter)
    assert total == len(rows)
    return [row.action for row in rows]


async def test_filters(log: Database) -> None:
    assert await _actions(log, AuditFilter()) == [
        "charter.accept",
        "onboarding.approve",
        "referent.remove",
        "referent.designate",
    ]
    assert await _actions(log, AuditFilter(action="referent.")) == [
        "referent.remove",
        "referent.designate",
    ]
    assert await _actions(log, AuditFilter(action="referent*")) == [
        "referent.remove",
        "referent.designate",
    ]
    assert await _actions(log, AuditFilter(action="referent")) == []
    assert await _actions(log, AuditFilter(actor_id=11)) == ["onboarding.approve"]
    assert await _actions(log, AuditFilter(structure_id=3, since=NOW - timedelta(days=3))) == [
        "onboarding.approve",
        "referent.remove",
    ]
    assert await _actions(log, AuditFilter(until=NOW - timedelta(days=5))) == ["referent.designate"]
    assert await _actions(log, AuditFilter(text="100%")) == ["onboarding.approve"]
    assert await _actions(log, AuditFilter(text="ZOÉ")) == ["onboarding.approve"]


async def test_pages_and_export(log: Database) -> None:
    async with log.session() as session:
        first, total = await search(session, GUILD, AuditFilter(), page=0, page_size=3)
        second, _ = await search(session, GUILD, AuditFilter(), page=1, page_size=3)
        text, exported = await export_csv(session, GUILD, AuditFilter(action="referent."))
        actions = await distinct_actions(session, GUILD, "ref")
    assert total == 4 and len(first) == 3 and len(second) == 1
    rows = list(csv.reader(io.StringIO(text)))
    assert exported == 2 and rows[0][0] == "date" and rows[2][5] == '{"rank": "titular"}'
    assert actions == ["referent.designate", "referent.remove"]


def test_parse_since() -> None:
    assert parse_since("7j", NOW) == NOW - timedelta(days=7)
    assert parse_since("24h", NOW) == NOW - timedelta(hours=24)
    assert parse_since("2sem", NOW) == NOW - timedelta(weeks=2)
    assert parse_since("01/03/2026", NOW) == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
    assert parse_since("", NOW) is None
    with pytest.raises(AuditError) as refused:
        parse_since("hier", NOW)
    assert refused.value.key == "audit.bad_period"
