"""The demand log: what it keeps, and proof of what it can never keep (both engines)."""

from __future__ import annotations

import inspect
from datetime import UTC, date, datetime

from sqlalchemy import Boolean, Date, Integer, SmallInteger, String, select, text
from sqlalchemy import inspect as sa_inspect

from db.demand import (
    FILTERS,
    known_need_keys,
    mark_handover,
    need_keys,
    record_orientation_request,
)
from db.models.observatory import DemandRecord

from .labelled import ADM, OUT, seed_labelled

ASKER_ID = 712345678901234567  # a Discord user id: must never be stored
PERSON = "Josiane Dupuis-Martin"
WORDS = "Mme Josiane Dupuis-Martin 06 12 34 56 78 née le 03/04/1951, dossier CAF"
AT = datetime(2026, 11, 23, 17, 47, 12, tzinfo=UTC)  # 18:47 in Paris


async def test_a_request_is_counted_with_day_services_area_filters_and_results(
    db,
    guild,  # type: ignore[no-untyped-def]
) -> None:
    await seed_labelled(db, guild)
    async with db.transaction() as session:
        request_id = await record_orientation_request(
            session,
            guild,
            services=[ADM],
            needs=["caf"],
            area=("Mérignac", "Beutre"),
            filters=["sans_rdv", "gratuit"],
            public="Seniors",
            result_count=2,
            at=AT,
        )
    async with db.session() as session:
        row = await session.get(DemandRecord, request_id)
    assert row is not None
    assert (row.guild_id, row.day, row.month) == (guild, date(2026, 11, 23), 202611)
    assert row.services_mask == 1 and row.needs == "|caf|"
    assert (row.commune_key, row.quartier_key) == ("merignac", "beutre")
    assert row.filters_mask == (1 << FILTERS.index("sans_rdv")) | (1 << FILTERS.index("gratuit"))
    assert row.public == "Seniors" and row.result_count == 2 and row.handover is False


async def test_the_day_is_the_paris_day(db, guild) -> None:  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        request_id = await record_orientation_request(
            session,
            guild,
            services=[OUT],
            area=None,
            filters=[],
            result_count=5,
            at=datetime(2026, 12, 31, 23, 30, tzinfo=UTC),  # 00:30 on 1 January in Paris
        )
    async with db.session() as session:
        row = await session.get(DemandRecord, request_id)
    assert row is not None and (row.day, row.month) == (date(2027, 1, 1), 202701)


async def test_mark_handover_is_idempotent_and_guild_scoped(db, guild) -> None:  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        request_id = await record_orientation_request(
            session, guild, services=[ADM], area=None, filters=[], result_count=3, at=AT
        )
    async with db.transaction() as session:
        assert not await mark_handover(session, guild + 500_000, request_id)
        assert not await mark_handover(session, guild, None)
        assert await mark_handover(session, guild, request_id)
        assert await mark_handover(session, guild, request_id)
    async with db.session() as session:
        row = await session.get(DemandRecord, request_id)
    assert row is not None and row.handover is True


# ---------------------------------------------------------------------------- privacy
def test_the_recording_api_has_no_way_to_pass_a_person_or_a_text() -> None:
    parameters = set(inspect.signature(record_orientation_request).parameters)
    assert parameters == {
        "session",
        "guild_id",
        "services",
        "area",
        "filters",
        "result_count",
        "at",
        "needs",
        "public",
    }


async def test_demand_table_columns_cannot_hold_who_or_free_text(db, guild) -> None:  # type: ignore[no-untyped-def]
    async with db.engine.connect() as connection:
        columns = await connection.run_sync(
            lambda sync: sa_inspect(sync).get_columns("observatory_demand")
        )
    names = {c["name"] for c in columns}
    assert names == {
        "id",
        "guild_id",
        "day",
        "month",
        "services_mask",
        "needs",
        "commune_key",
        "quartier_key",
        "filters_mask",
        "public",
        "result_count",
        "handover",
    }
    for column in columns:
        kind = column["type"]
        # No datetime (only a day), no text column, no long string.
        assert isinstance(kind, Integer | SmallInteger | Boolean | Date | String), column
        if isinstance(kind, String):
            assert kind.length is not None and kind.length <= 200, column
    # The model agrees with the database, and no column is a user id or a text.
    model_columns = {c.name for c in DemandRecord.__table__.columns}
    assert model_columns == names
    assert not any(
        word in name for name in names for word in ("user", "member", "name", "text", "note")
    )


async def test_nothing_personal_reaches_the_stored_rows_even_if_a_caller_tries(
    db,
    guild,  # type: ignore[no-untyped-def]
) -> None:
    """A careless caller passes the words typed, the person's name and the asker's id
    wherever a value is accepted: none of it is stored."""
    await seed_labelled(db, guild)
    async with db.transaction() as session:
        await record_orientation_request(
            session,
            guild,
            services=[ADM, WORDS, str(ASKER_ID)],
            needs=["caf", WORDS, PERSON, str(ASKER_ID), "josiane"],
            area=(PERSON, WORDS),
            filters=["gratuit", WORDS],
            public=PERSON,
            result_count=ASKER_ID,
            at=AT,
        )
        await record_orientation_request(
            session,
            guild,
            services=[OUT],
            needs=["mail"],
            area=("Mérignac", PERSON),  # a real commune, a made-up quartier
            filters=[],
            public=WORDS,
            result_count=0,
            at=AT,
        )
    async with db.session() as session:
        rows = (
            await session.execute(
                text("SELECT * FROM observatory_demand WHERE guild_id = :g"), {"g": guild}
            )
        ).all()
    stored = [str(value) for row in rows for value in row]
    for secret in (PERSON, "josiane", "dupuis", "06 12", "1951", str(ASKER_ID)):
        assert not any(secret.lower() in value.lower() for value in stored), secret
    async with db.session() as session:
        records = list(
            await session.scalars(
                select(DemandRecord).where(DemandRecord.guild_id == guild).order_by(DemandRecord.id)
            )
        )
    # What remains is only closed-vocabulary data.
    assert records[0].needs == "|caf|" and records[0].services_mask == 1
    assert records[0].commune_key == "" and records[0].public == ""
    assert records[0].result_count == 999  # capped: an id passed as a count is not kept
    assert (records[1].commune_key, records[1].quartier_key) == ("merignac", "")
    assert records[1].public == ""


def test_need_keys_are_the_synonym_tables_keys_only() -> None:
    assert need_keys(["impots", "caf", "caf", "Mme Dupont", "dupont@example.org", "dupont"]) == (
        "|caf|impots|"
    )
    assert need_keys([]) == ""
    assert need_keys(["caf"], known=frozenset()) == ""
    assert {"caf", "impots", "mail"} <= known_need_keys()
