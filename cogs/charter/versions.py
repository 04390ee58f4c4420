"""Charter versions and acceptances. The latest published version is the current one;
publishing a new one means everybody must accept again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.charter.errors import CharterError
from db.models.charter import CharterAcceptance, CharterVersion
from db.network import current_charter_version as current_version
from db.network import record_charter_acceptance

__all__ = ["current_version"]

LABEL_MAX = 50
SUMMARY_MAX = 1000


async def get_version(session: AsyncSession, guild_id: int, version_id: int) -> CharterVersion:
    version = await session.get(CharterVersion, version_id)
    if version is None or version.guild_id != guild_id:
        raise CharterError("charter.unknown_version")
    return version


async def list_versions(session: AsyncSession, guild_id: int) -> list[CharterVersion]:
    rows = await session.scalars(
        select(CharterVersion)
        .where(CharterVersion.guild_id == guild_id)
        .order_by(CharterVersion.published_at.desc(), CharterVersion.id.desc())
    )
    return list(rows)


async def publish(
    session: AsyncSession,
    *,
    guild_id: int,
    label: str,
    summary: str,
    text: str,
    document_id: int | None,
    sha256: str | None,
    filename: str | None,
    actor_id: int,
    now: datetime,
) -> CharterVersion:
    label = label.strip()
    summary = summary.strip()
    if not label or len(label) > LABEL_MAX:
        raise CharterError("charter.bad_label", max=LABEL_MAX)
    if len(summary) > SUMMARY_MAX:
        raise CharterError("charter.summary_too_long", max=SUMMARY_MAX)
    duplicate = await session.scalar(
        select(CharterVersion.id).where(
            CharterVersion.guild_id == guild_id, func.lower(CharterVersion.label) == label.lower()
        )
    )
    if duplicate is not None:
        raise CharterError("charter.duplicate_label", label=label)
    previous = await current_version(session, guild_id)
    if previous is not None and now <= previous.published_at:
        # Keep "latest published = current" true even with a clock that stands still.
        now = previous.published_at + timedelta(microseconds=1)
    version = CharterVersion(
        guild_id=guild_id,
        label=label,
        summary=summary,
        text=text,
        document_id=document_id,
        sha256=sha256,
        filename=filename,
        published_by=actor_id,
        published_at=now,
    )
    session.add(version)
    await session.flush()
    return version


@dataclass(frozen=True)
class AcceptanceResult:
    version: CharterVersion
    acceptance: CharterAcceptance
    created: bool  # False when the member had already accepted this version


async def accept(
    session: AsyncSession,
    *,
    guild_id: int,
    version_id: int,
    user_id: int,
    structure_id: int | None,
    interaction_id: int | None,
    now: datetime,
) -> AcceptanceResult:
    """Record that ``user_id`` accepts the version. The caller passes the id of the member
    who clicked, never one carried by the button, so nobody accepts for somebody else.
    Only the current version can be accepted (an old message's button is refused)."""
    version = await get_version(session, guild_id, version_id)
    current = await current_version(session, guild_id)
    if current is None or current.id != version.id:
        raise CharterError(
            "charter.outdated_version",
            label=version.label,
            current=current.label if current else "-",
        )
    acceptance, created = await record_charter_acceptance(
        session,
        guild_id=guild_id,
        version_id=version.id,
        user_id=user_id,
        structure_id=structure_id,
        interaction_id=interaction_id,
        now=now,
    )
    return AcceptanceResult(version, acceptance, created)


async def has_accepted_current(session: AsyncSession, guild_id: int, user_id: int) -> bool:
    current = await current_version(session, guild_id)
    if current is None:
        return False
    return user_id in await accepted_user_ids(session, guild_id, current.id)


async def accepted_user_ids(session: AsyncSession, guild_id: int, version_id: int) -> set[int]:
    rows = await session.scalars(
        select(CharterAcceptance.user_id).where(
            CharterAcceptance.guild_id == guild_id, CharterAcceptance.version_id == version_id
        )
    )
    return set(rows)


async def acceptances(
    session: AsyncSession, guild_id: int, version_id: int
) -> dict[int, CharterAcceptance]:
    rows = await session.scalars(
        select(CharterAcceptance).where(
            CharterAcceptance.guild_id == guild_id, CharterAcceptance.version_id == version_id
        )
    )
    return {row.user_id: row for row in rows}


def plan_gate_role(
    *, holders: set[int], accepted: set[int], present: set[int]
) -> tuple[list[int], list[int]]:
    """(grant, revoke) for the "charter accepted" role: exactly the present members who
    accepted the current version hold it."""
    grant = sorted((accepted & present) - holders)
    revoke = sorted(holders - accepted)
    return grant, revoke


def parse_reminder_days(value: str | list[int] | None) -> list[int]:
    """ "3,7,14" → [3, 7, 14]; bad entries are dropped (a typo in a setting must not stop
    reminders), duplicates removed, order kept ascending."""
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).replace(";", ",").split(",")
    days: set[int] = set()
    for item in items:
        try:
            day = int(str(item).strip())
        except ValueError:
            continue
        if 0 < day <= 365:
            days.add(day)
    return sorted(days)


def reminder_due_dates(published_at: datetime, days: list[int]) -> list[tuple[int, datetime]]:
    return [(day, published_at + timedelta(days=day)) for day in days]
