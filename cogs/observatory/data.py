"""Reading the figures' raw material from the database (no Discord).

Heavy counting is done by the database (GROUP BY over the covering index of the demand
log); Python receives one line per distinct group. Every function takes the caller's
session and a guild id: an observatory never mixes two networks.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.demand import FILTERS
from db.models.charter import CharterAcceptance
from db.models.directory import Handover
from db.models.observatory import DemandRecord, ObservatoryAccess, ObservatorySnapshot
from db.models.structures import Referent, Structure
from db.network import current_charter_version, member_structures

from .coverage import Place
from .demand_stats import AreaGroup, Bucket, NeedGroup, TrendPoint, bucket_of
from .health import HandoverFact, StructureState
from .periods import Period

PARIS = ZoneInfo("Europe/Paris")


def paris_midnight(day: date) -> datetime:
    """The UTC instant a Paris calendar day starts (periods are in Paris days)."""
    return datetime.combine(day, time(0), tzinfo=PARIS).astimezone(UTC)


async def _core(session: AsyncSession, statement: Any) -> list[Any]:
    """Rows of a column query through Core: the ORM's per-row processing costs seconds on
    tens of thousands of rows, and these queries load no entity."""
    connection = await session.connection()
    return list((await connection.execute(statement)).all())


# ----------------------------------------------------------------------------- offer
async def load_places(session: AsyncSession, guild_id: int) -> list[Place]:
    rows = await _core(
        session,
        select(
            Structure.id,
            Structure.nom,
            Structure.short_name,
            Structure.commune,
            Structure.quartier,
            Structure.commune_key,
            Structure.quartier_key,
            Structure.services_mask,
            Structure.acces_mask,
            Structure.frais_mask,
            Structure.horaires,
            Structure.prise_rdv,
        ).where(Structure.guild_id == guild_id, Structure.archived_at.is_(None)),
    )
    return [
        Place(
            id_,
            short or nom,
            commune or "",
            quartier or "",
            commune_key or "",
            quartier_key or "",
            services or 0,
            acces or 0,
            frais or 0,
            horaires,
            bool(prise_rdv),
        )
        for (
            id_,
            nom,
            short,
            commune,
            quartier,
            commune_key,
            quartier_key,
            services,
            acces,
            frais,
            horaires,
            prise_rdv,
        ) in rows
    ]


async def area_labels(
    session: AsyncSession, guild_id: int
) -> dict[tuple[str, str], tuple[str, str]]:
    """(commune_key, quartier_key) -> (commune, quartier) as written in the directory,
    archived places included (the demand log may name an area whose places closed)."""
    rows = await _core(
        session,
        select(Structure.commune_key, Structure.quartier_key, Structure.commune, Structure.quartier)
        .where(Structure.guild_id == guild_id)
        .distinct(),
    )
    labels: dict[tuple[str, str], tuple[str, str]] = {}
    for commune_key, quartier_key, commune, quartier in rows:
        labels.setdefault((commune_key, quartier_key or ""), (commune or "", quartier or ""))
        labels.setdefault((commune_key, ""), (commune or "", ""))
    return labels


# ----------------------------------------------------------------------------- demand
# Each query groups by the leading columns of one covering index (db/models/observatory.py)
# and keeps computed expressions out of GROUP BY, so that SQLite aggregates in index
# order without a sort; result counts are put in buckets in Python.


async def _rows(
    session: AsyncSession, statement: Any, index: str, *, day_filtered: bool = False
) -> list[Any]:
    """Run an aggregation on its covering index. SQLite is told which one ("INDEXED BY"):
    once ANALYZE has run, its planner may prefer a skip-scan of another index followed
    by a sort, fifty times slower. SQLAlchemy renders no table hint for SQLite, so the
    compiled text gets the clause; PostgreSQL runs the statement as it is.

    ``day_filtered``: the period's days are checked on each index entry rather than
    used to seek ("+day", SQLite's way to keep a term off the index), for an index that
    has a column between its range and the day: otherwise SQLite skip-scans it and
    sorts the rows to group them (the publics of a two-year period: 0.17 s instead of
    0.02 s)."""
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return await _core(session, statement)
    compiled = statement.compile(dialect=bind.dialect, compile_kwargs={"render_postcompile": True})
    table = DemandRecord.__tablename__
    sql = compiled.string.replace(f"FROM {table}", f"FROM {table} INDEXED BY {index}", 1)
    if day_filtered:
        sql = sql.replace(f"{table}.day ", f"+{table}.day ")
    params = tuple(_plain(compiled.params[name]) for name in compiled.positiontup or ())
    connection = await session.connection()
    return list((await connection.exec_driver_sql(sql, params)).all())


def _plain(value: Any) -> Any:
    """Bound values as SQLAlchemy stores them in SQLite (dates as ISO text, booleans 0/1)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


# Conditional counts as "count(*) FILTER (WHERE ...)" (SQLite 3.30+, PostgreSQL): cheaper
# per row than a sum of CASE expressions on both engines.
def _handovers() -> Any:
    return func.count().filter(DemandRecord.handover.is_(True))


def _no_result() -> Any:
    return func.count().filter(DemandRecord.result_count <= 0)


def _in_period(guild_id: int, period: Period) -> list[Any]:
    return [
        DemandRecord.guild_id == guild_id,
        DemandRecord.day >= period.start,
        DemandRecord.day < period.end,
    ]


async def load_need_groups(session: AsyncSession, guild_id: int, period: Period) -> list[NeedGroup]:
    # Filter usage rides along (a sum per filter) rather than costing another scan.
    used = [
        func.count().filter(DemandRecord.filters_mask.op("&")(1 << bit) != 0)
        for bit in range(len(FILTERS))
    ]
    statement = (
        select(
            DemandRecord.needs,
            DemandRecord.result_count,
            DemandRecord.services_mask,
            func.count(),
            _handovers(),
            *used,
        )
        .where(*_in_period(guild_id, period))
        .group_by(DemandRecord.needs, DemandRecord.result_count, DemandRecord.services_mask)
    )
    rows = await _rows(session, statement, "ix_observatory_demand_by_need")
    return [
        NeedGroup(
            row[0],
            int(row[2]),
            int(row[1]),
            int(row[3]),
            int(row[4] or 0),
            tuple(int(v or 0) for v in row[5:]),
        )
        for row in rows
    ]


async def load_area_groups(session: AsyncSession, guild_id: int, period: Period) -> list[AreaGroup]:
    statement = (
        select(
            DemandRecord.commune_key,
            DemandRecord.quartier_key,
            DemandRecord.services_mask,
            func.count(),
            _no_result(),
            _handovers(),
        )
        .where(*_in_period(guild_id, period))
        .group_by(DemandRecord.commune_key, DemandRecord.quartier_key, DemandRecord.services_mask)
    )
    rows = await _rows(session, statement, "ix_observatory_demand_by_area")
    return [
        AreaGroup(commune, quartier, int(mask), int(count), int(none or 0), int(handovers or 0))
        for commune, quartier, mask, count, none, handovers in rows
    ]


async def load_unanswered_areas(
    session: AsyncSession, guild_id: int, period: Period, needs: list[str]
) -> list[tuple[str, str, str, int]]:
    """(needs, commune_key, quartier_key, requests with no result) for requests naming
    one of ``needs`` (the "|caf|" values stored) that found nothing, located ones only."""
    if not needs:
        return []
    statement = (
        select(
            DemandRecord.needs, DemandRecord.commune_key, DemandRecord.quartier_key, func.count()
        )
        .where(
            *_in_period(guild_id, period),
            DemandRecord.needs.in_(needs),
            DemandRecord.result_count <= 0,
            DemandRecord.commune_key != "",
        )
        .group_by(DemandRecord.needs, DemandRecord.commune_key, DemandRecord.quartier_key)
    )
    rows = await _rows(session, statement, "ix_observatory_demand_by_need")
    return [(n, c, q, int(count)) for n, c, q, count in rows]


async def load_trend(session: AsyncSession, guild_id: int, period: Period) -> list[TrendPoint]:
    """Per month of ``period`` (whole months: the trend's window starts on a 1st)."""
    first = period.start.year * 100 + period.start.month
    last = period.last_day.year * 100 + period.last_day.month
    statement = (
        select(DemandRecord.month, DemandRecord.result_count, func.count(), _handovers())
        .where(
            DemandRecord.guild_id == guild_id,
            DemandRecord.month >= first,
            DemandRecord.month <= last,
        )
        .group_by(DemandRecord.month, DemandRecord.result_count)
    )
    rows = await _rows(session, statement, "ix_observatory_demand_by_month")
    months: dict[int, list[int]] = {}
    for month, results, count, handovers in rows:
        values = months.setdefault(int(month), [0, 0, 0, 0])
        bucket = bucket_of(int(results))
        values[0] += count
        values[1] += count if bucket == Bucket.NONE else 0
        values[2] += count if bucket == Bucket.FEW else 0
        values[3] += int(handovers or 0)
    return [TrendPoint(month, *values) for month, values in sorted(months.items())]


async def load_publics(
    session: AsyncSession, guild_id: int, period: Period
) -> list[tuple[str, int]]:
    """(public, requests) for requests that named a public (a range of the index)."""
    statement = (
        select(DemandRecord.public, func.count())
        .where(*_in_period(guild_id, period), DemandRecord.public > "")
        .group_by(DemandRecord.public)
    )
    rows = await _rows(session, statement, "ix_observatory_demand_by_public", day_filtered=True)
    return [(p, int(c)) for p, c in rows]


async def has_demand(session: AsyncSession, guild_id: int, period: Period) -> bool:
    """Whether any request was logged in ``period``, so that an empty period costs no
    scan: an index seek on its months, whose rows' days are then checked (an edge month
    may hold requests on days outside the period only)."""
    first = period.start.year * 100 + period.start.month
    last = period.last_day.year * 100 + period.last_day.month
    statement = (
        select(DemandRecord.id)
        .where(
            DemandRecord.guild_id == guild_id,
            DemandRecord.month >= first,
            DemandRecord.month <= last,
            DemandRecord.day >= period.start,
            DemandRecord.day < period.end,
        )
        .limit(1)
    )
    return bool(await _rows(session, statement, "ix_observatory_demand_by_month"))


# ----------------------------------------------------------------------------- health
async def load_structure_states(
    session: AsyncSession, guild_id: int
) -> tuple[list[StructureState], str | None]:
    """Every active structure with its referents, members and charter acceptances; and
    the label of the charter in force (None before the first)."""
    structures = await _core(
        session,
        select(
            Structure.id,
            Structure.nom,
            Structure.short_name,
            Structure.verified_at,
            Structure.date_maj,
        ).where(Structure.guild_id == guild_id, Structure.archived_at.is_(None)),
    )
    referents = dict(
        (
            await session.execute(
                select(Referent.structure_id, func.count())
                .where(Referent.guild_id == guild_id, Referent.active.is_(True))
                .group_by(Referent.structure_id)
            )
        ).all()
    )
    members_of: dict[int, set[int]] = {}
    for user_id, structure_id in (await member_structures(session, guild_id)).items():
        members_of.setdefault(structure_id, set()).add(user_id)
    accepted_by: dict[int, set[int]] = {}
    version = await current_charter_version(session, guild_id)
    if version is not None:
        member_of = {u: s for s, users in members_of.items() for u in users}
        rows = await _core(
            session,
            select(CharterAcceptance.user_id, CharterAcceptance.structure_id).where(
                CharterAcceptance.version_id == version.id
            ),
        )
        for user_id, structure_id in rows:
            # The member's current structure wins; else the one recorded at acceptance.
            target = member_of.get(user_id, structure_id)
            if target is None:
                continue
            members_of.setdefault(target, set()).add(user_id)
            accepted_by.setdefault(target, set()).add(user_id)
    states = [
        StructureState(
            id_,
            short or nom,
            verified_at,
            date_maj,
            int(referents.get(id_, 0)),
            len(members_of.get(id_, ())),
            len(accepted_by.get(id_, ())),
        )
        for id_, nom, short, verified_at, date_maj in structures
    ]
    return states, (version.label if version is not None else None)


async def load_handovers(
    session: AsyncSession, guild_id: int, period: Period
) -> tuple[list[HandoverFact], dict[int, str]]:
    rows = await _core(
        session,
        select(
            Handover.structure_id,
            Handover.sender_structure_id,
            Handover.status,
            Handover.created_at,
            Handover.answered_at,
        ).where(
            Handover.guild_id == guild_id,
            Handover.created_at >= paris_midnight(period.start),
            Handover.created_at < paris_midnight(period.end),
        ),
    )
    facts = [HandoverFact(*row) for row in rows]
    ids = {f.structure_id for f in facts} | {
        f.sender_structure_id for f in facts if f.sender_structure_id is not None
    }
    names: dict[int, str] = {}
    if ids:
        for structure_id, nom, short in await session.execute(
            select(Structure.id, Structure.nom, Structure.short_name).where(Structure.id.in_(ids))
        ):
            names[structure_id] = short or nom
    return facts, names


# ----------------------------------------------------------------------------- snapshots
async def save_snapshot(
    session: AsyncSession, guild_id: int, day: date, figures: dict[str, Any], now: datetime
) -> ObservatorySnapshot:
    """One snapshot per guild and day (taken again the same day, it is replaced)."""
    row = await session.scalar(
        select(ObservatorySnapshot).where(
            ObservatorySnapshot.guild_id == guild_id, ObservatorySnapshot.day == day
        )
    )
    if row is None:
        row = ObservatorySnapshot(guild_id=guild_id, day=day)
        session.add(row)
    row.figures = figures
    row.taken_at = now
    await session.flush()
    return row


async def snapshot_on_or_before(
    session: AsyncSession, guild_id: int, day: date
) -> ObservatorySnapshot | None:
    return await session.scalar(
        select(ObservatorySnapshot)
        .where(ObservatorySnapshot.guild_id == guild_id, ObservatorySnapshot.day <= day)
        .order_by(ObservatorySnapshot.day.desc())
        .limit(1)
    )


# ----------------------------------------------------------------------------- web access
async def page_token(
    session: AsyncSession, guild_id: int, *, create: bool, by: int | None = None
) -> str | None:
    row = await session.scalar(
        select(ObservatoryAccess).where(ObservatoryAccess.guild_id == guild_id)
    )
    if row is None and create:
        row = ObservatoryAccess(guild_id=guild_id, token=secrets.token_urlsafe(32), created_by=by)
        session.add(row)
        await session.flush()
    return row.token if row else None


async def rotate_page_token(session: AsyncSession, guild_id: int, by: int | None) -> str:
    """A new secret: the old link stops working at once."""
    await session.execute(delete(ObservatoryAccess).where(ObservatoryAccess.guild_id == guild_id))
    token = await page_token(session, guild_id, create=True, by=by)
    assert token is not None
    return token


async def check_page_token(session: AsyncSession, guild_id: int, token: str) -> bool:
    expected = await page_token(session, guild_id, create=False)
    return expected is not None and hmac.compare_digest(expected.encode(), token.encode())
