"""/audit: read the audit log with filters (action, actor, structure, period, text)."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.audit.errors import AuditError
from db.models.core import AuditEntry

PARIS = ZoneInfo("Europe/Paris")
PAGE_SIZE = 10
EXPORT_MAX = 10_000


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None  # exact action, or a prefix ending with "." or "*"
    actor_id: int | None = None
    structure_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None  # searched in the target


_RELATIVE = re.compile(r"^(\d{1,4})\s*(j|d|jours?|days?|h|heures?|hours?|sem|semaines?|w|weeks?)$")


def parse_since(value: str | None, now: datetime) -> datetime | None:
    """ "7j", "24h", "2sem" (ago) or a date "JJ/MM/AAAA" (from midnight, Paris time)."""
    value = (value or "").strip().lower()
    if not value:
        return None
    match = _RELATIVE.match(value)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        if unit.startswith(("h",)):
            return now - timedelta(hours=amount)
        if unit.startswith(("sem", "w")):
            return now - timedelta(weeks=amount)
        return now - timedelta(days=amount)
    try:
        day = datetime.strptime(value, "%d/%m/%Y").date()
    except ValueError:
        raise AuditError("audit.bad_period", example="7j, 24h, 2sem, 01/09/2026") from None
    return datetime.combine(day, time(0, 0), tzinfo=PARIS).astimezone(now.tzinfo)


def _where(guild_id: int, audit_filter: AuditFilter) -> list:
    clauses = [AuditEntry.guild_id == guild_id]
    action = (audit_filter.action or "").strip()
    if action:
        if action.endswith("*"):
            clauses.append(AuditEntry.action.startswith(action[:-1], autoescape=True))
        elif action.endswith("."):
            clauses.append(AuditEntry.action.startswith(action, autoescape=True))
        else:
            clauses.append(AuditEntry.action == action)
    if audit_filter.actor_id is not None:
        clauses.append(AuditEntry.actor_id == audit_filter.actor_id)
    if audit_filter.structure_id is not None:
        clauses.append(AuditEntry.structure_id == audit_filter.structure_id)
    if audit_filter.since is not None:
        clauses.append(AuditEntry.at >= audit_filter.since)
    if audit_filter.until is not None:
        clauses.append(AuditEntry.at < audit_filter.until)
    if audit_filter.text:
        clauses.append(
            func.lower(AuditEntry.target).contains(audit_filter.text.lower(), autoescape=True)
        )
    return clauses


async def search(
    session: AsyncSession,
    guild_id: int,
    audit_filter: AuditFilter,
    *,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> tuple[list[AuditEntry], int]:
    """One page of matching entries, newest first, and the total count."""
    clauses = _where(guild_id, audit_filter)
    total = await session.scalar(select(func.count()).select_from(AuditEntry).where(*clauses)) or 0
    rows = await session.scalars(
        select(AuditEntry)
        .where(*clauses)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset(max(page, 0) * page_size)
        .limit(page_size)
    )
    return list(rows), int(total)


async def distinct_actions(session: AsyncSession, guild_id: int, prefix: str = "") -> list[str]:
    rows = await session.scalars(
        select(AuditEntry.action)
        .where(
            AuditEntry.guild_id == guild_id, AuditEntry.action.startswith(prefix, autoescape=True)
        )
        .distinct()
        .order_by(AuditEntry.action)
        .limit(25)
    )
    return list(rows)


CSV_HEADER = ("date", "acteur", "action", "cible", "structure", "details")


async def export_csv(
    session: AsyncSession, guild_id: int, audit_filter: AuditFilter
) -> tuple[str, int]:
    rows, total = await search(session, guild_id, audit_filter, page=0, page_size=EXPORT_MAX)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow(
            (
                row.at.astimezone(PARIS).isoformat(timespec="seconds"),
                str(row.actor_id or ""),
                row.action,
                row.target,
                str(row.structure_id or ""),
                json.dumps(row.details or {}, ensure_ascii=False, sort_keys=True),
            )
        )
    return buffer.getvalue(), total
