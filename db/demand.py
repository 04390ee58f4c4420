"""The anonymous demand log of `/orienter`, written by the directory, read by the observatory.

Two functions, for any capability (no cog imports another): ``record_orientation_request``
counts a request, ``mark_handover`` notes that a handover followed it. What they accept is
closed by construction, so that nothing personal can reach the table by mistake:

- services: values of the national standard's vocabulary (unknown values are dropped);
- needs: keys of the synonym table ``config/synonyms.toml`` (``cle``), nothing else;
- area: a commune/quartier that exists in the guild's own directory, else nothing;
- filters: names from ``FILTERS``; public: a value of the standard's vocabularies;
- the moment: kept as the Paris calendar day only.

There is deliberately no parameter for a user, a name or a text.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Iterable
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Database
from db.models.observatory import DemandRecord
from db.models.structures import PRISE_EN_CHARGE, PUBLICS, SERVICES, Structure, fold

log = logging.getLogger("aiguillage.demand")

PARIS = ZoneInfo("Europe/Paris")
SYNONYMS_FILE = Path(__file__).resolve().parents[1] / "config" / "synonyms.toml"

# Position = bit in DemandRecord.filters_mask (append-only).
FILTERS = ("ouvert_maintenant", "sans_rdv", "gratuit", "public")
PUBLIC_VALUES = PUBLICS + PRISE_EN_CHARGE
NEED_KEY = re.compile(r"^[a-z0-9_]{1,40}$")
MAX_NEEDS = 6
MAX_RESULT_COUNT = 999


def services_mask(services: Iterable[str]) -> int:
    mask = 0
    for service in services:
        if service in SERVICES:
            mask |= 1 << SERVICES.index(service)
    return mask


def filters_mask(filters: Iterable[str]) -> int:
    mask = 0
    for name in filters:
        if name in FILTERS:
            mask |= 1 << FILTERS.index(name)
    return mask


@cache
def known_need_keys(path: Path = SYNONYMS_FILE) -> frozenset[str]:
    """The ``cle`` of every need in the synonym table (read once)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        # Privacy first: with no table to check against, no need key is stored.
        log.warning("synonym table %s unreadable (%s): needs not logged", path, error)
        return frozenset()
    return frozenset(
        str(entry.get("cle", "")) for entry in data.get("besoin", []) if entry.get("cle")
    )


def need_keys(needs: Iterable[str], known: frozenset[str] | None = None) -> str:
    """``|caf|impots|`` from synonym-table keys; anything that is not one is dropped."""
    known = known_need_keys() if known is None else known
    keys = sorted({n for n in needs if isinstance(n, str) and NEED_KEY.match(n) and n in known})[
        :MAX_NEEDS
    ]
    return "|" + "|".join(keys) + "|" if keys else ""


def month_of(day: date) -> int:
    return day.year * 100 + day.month


async def known_area(
    session: AsyncSession, guild_id: int, commune: str | None, quartier: str | None
) -> tuple[str, str]:
    """(commune_key, quartier_key) when the guild's directory has a place there, else the
    commune alone when it has one, else ("", ""). Names typed by someone never get in."""
    commune_key, quartier_key = fold(commune), fold(quartier)
    if not commune_key:
        return "", ""
    pairs = set(
        (
            await session.execute(
                select(Structure.commune_key, Structure.quartier_key)
                .where(Structure.guild_id == guild_id, Structure.commune_key == commune_key)
                .distinct()
            )
        ).all()
    )
    if not pairs:
        return "", ""
    if quartier_key and (commune_key, quartier_key) in pairs:
        return commune_key, quartier_key
    return commune_key, ""


async def record_orientation_request(
    session: AsyncSession,
    guild_id: int,
    *,
    services: Iterable[str],
    area: tuple[str | None, str | None] | None,
    filters: Iterable[str],
    result_count: int,
    at: datetime,
    needs: Iterable[str] = (),
    public: str | None = None,
) -> int:
    """Count one `/orienter` request; returns the row id (kept in memory by the caller to
    mark a handover, never shown). ``area`` is (commune, quartier) of the *person*, when
    the professional gave it; ``at`` an aware datetime."""
    day = at.astimezone(PARIS).date()
    commune_key, quartier_key = ("", "")
    if area is not None:
        commune_key, quartier_key = await known_area(session, guild_id, area[0], area[1])
    # A Core INSERT … RETURNING: `/orienter` runs this on every request, and the ORM's
    # unit of work costs several times more for one row nobody reads back.
    return int(
        await session.scalar(
            insert(DemandRecord)
            .values(
                guild_id=guild_id,
                day=day,
                month=month_of(day),
                services_mask=services_mask(services),
                needs=need_keys(needs),
                commune_key=commune_key,
                quartier_key=quartier_key,
                filters_mask=filters_mask(filters),
                public=public if public in PUBLIC_VALUES else "",
                result_count=max(0, min(int(result_count), MAX_RESULT_COUNT)),
                handover=False,
            )
            .returning(DemandRecord.id)
        )
    )


async def mark_handover(session: AsyncSession, guild_id: int, request_id: int | None) -> bool:
    """Note that a handover followed the request (idempotent; False when unknown)."""
    if request_id is None:
        return False
    result = await session.execute(
        update(DemandRecord)
        .where(DemandRecord.id == request_id, DemandRecord.guild_id == guild_id)
        .values(handover=True)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def log_orientation_request(db: Database, guild_id: int, **request: Any) -> int | None:
    """``record_orientation_request`` in its own transaction, for `/orienter`: counting
    must never stop a professional from getting an answer, so a failure is logged and
    ``None`` returned."""
    try:
        async with db.transaction() as session:
            return await record_orientation_request(session, guild_id, **request)
    except (SQLAlchemyError, ValueError, TypeError):
        log.exception("demand log: request not counted")
        return None


async def log_handover(db: Database, guild_id: int, request_id: int | None) -> None:
    """``mark_handover`` in its own transaction, failures logged (see above)."""
    if request_id is None:
        return
    try:
        async with db.transaction() as session:
            await mark_handover(session, guild_id, request_id)
    except SQLAlchemyError:
        log.exception("demand log: handover not noted")
