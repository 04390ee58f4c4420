"""Designating and removing referents; the database is the truth, Discord roles follow."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.referents.errors import ReferentError
from db.models.structures import Referent, ReferentRank, Structure
from db.network import active_structures, get_structure

RANKS = (ReferentRank.TITULAR, ReferentRank.DEPUTY)


@dataclass(frozen=True)
class Designation:
    structure_id: int
    structure_name: str
    user_id: int
    rank: str
    previous_rank: str | None  # set when an existing referent changed rank


@dataclass
class StructureReferents:
    structure_id: int
    name: str
    role_id: int | None
    titulars: list[int] = field(default_factory=list)
    deputies: list[int] = field(default_factory=list)

    @property
    def uncovered(self) -> bool:
        return not self.titulars and not self.deputies


async def _structure_or_error(session: AsyncSession, guild_id: int, structure_id: int) -> Structure:
    structure = await get_structure(session, guild_id, structure_id)
    if structure is None:
        raise ReferentError("referents.unknown_structure")
    return structure


async def _rows(session: AsyncSession, guild_id: int, structure_id: int) -> list[Referent]:
    rows = await session.scalars(
        select(Referent).where(Referent.guild_id == guild_id, Referent.structure_id == structure_id)
    )
    return list(rows)


async def designate(
    session: AsyncSession,
    *,
    guild_id: int,
    structure_id: int,
    user_id: int,
    rank: str,
    actor_id: int,
    now: datetime,
    max_titulars: int,
    max_deputies: int,
) -> Designation:
    """Make ``user_id`` a titular referent or deputy of the structure.

    Refused when the rank is full (coordinators must remove someone first, so that a
    structure never silently loses its referent) or when nothing would change.
    """
    if rank not in RANKS:
        raise ReferentError("referents.bad_rank")
    structure = await _structure_or_error(session, guild_id, structure_id)
    rows = await _rows(session, guild_id, structure_id)
    existing = next((r for r in rows if r.user_id == user_id), None)
    if existing is not None and existing.active and existing.rank == rank:
        raise ReferentError(
            "referents.already_titular"
            if rank == ReferentRank.TITULAR
            else "referents.already_deputy",
            structure=structure.display_name,
        )
    holders = [r for r in rows if r.active and r.rank == rank and r.user_id != user_id]
    limit = max_titulars if rank == ReferentRank.TITULAR else max_deputies
    if len(holders) >= max(limit, 0):
        raise ReferentError(
            "referents.full_titular" if rank == ReferentRank.TITULAR else "referents.full_deputy",
            structure=structure.display_name,
            limit=limit,
            holders=", ".join(f"<@{r.user_id}>" for r in holders) or "-",
        )
    previous_rank = existing.rank if existing is not None and existing.active else None
    if existing is None:
        existing = Referent(guild_id=guild_id, structure_id=structure_id, user_id=user_id)
        session.add(existing)
    existing.rank = rank
    existing.active = True
    existing.assigned_by = actor_id
    existing.assigned_at = now
    await session.flush()
    return Designation(structure.id, structure.display_name, user_id, rank, previous_rank)


async def remove(
    session: AsyncSession, *, guild_id: int, structure_id: int, user_id: int
) -> Designation:
    """End a referent's mandate (the row stays, inactive: the audit log keeps the history)."""
    structure = await _structure_or_error(session, guild_id, structure_id)
    rows = await _rows(session, guild_id, structure_id)
    existing = next((r for r in rows if r.user_id == user_id and r.active), None)
    if existing is None:
        raise ReferentError("referents.not_referent", structure=structure.display_name)
    existing.active = False
    await session.flush()
    return Designation(structure.id, structure.display_name, user_id, existing.rank, None)


async def overview(session: AsyncSession, guild_id: int) -> list[StructureReferents]:
    """Every active structure with its referents, for /referent liste and reconciliation."""
    structures = await active_structures(session, guild_id)
    by_id = {s.id: StructureReferents(s.id, s.display_name, s.discord_role_id) for s in structures}
    rows = await session.scalars(
        select(Referent)
        .where(Referent.guild_id == guild_id, Referent.active.is_(True))
        .order_by(Referent.assigned_at, Referent.id)
    )
    for row in rows:
        entry = by_id.get(row.structure_id)
        if entry is None:
            continue  # archived structure: its referents no longer represent anything
        (entry.titulars if row.rank == ReferentRank.TITULAR else entry.deputies).append(row.user_id)
    return list(by_id.values())


@dataclass(frozen=True)
class Departure:
    structure_id: int
    structure_name: str
    rank: str
    uncovered: bool  # the structure has no referent at all any more


async def unassign_departed(
    session: AsyncSession, *, guild_id: int, user_id: int
) -> list[Departure]:
    """A member left the server: end each of their mandates and say which structures
    are now without any referent."""
    rows = list(
        await session.scalars(
            select(Referent).where(
                Referent.guild_id == guild_id,
                Referent.user_id == user_id,
                Referent.active.is_(True),
            )
        )
    )
    departures: list[Departure] = []
    for row in rows:
        row.active = False
    await session.flush()
    for row in rows:
        structure = await session.get(Structure, row.structure_id)
        remaining = await session.scalar(
            select(Referent.id)
            .where(
                Referent.guild_id == guild_id,
                Referent.structure_id == row.structure_id,
                Referent.active.is_(True),
            )
            .limit(1)
        )
        departures.append(
            Departure(
                row.structure_id,
                structure.display_name if structure else str(row.structure_id),
                row.rank,
                remaining is None,
            )
        )
    return departures


async def set_structure_role(
    session: AsyncSession, *, guild_id: int, structure_id: int, role_id: int | None
) -> None:
    structure = await session.get(Structure, structure_id)
    if structure is not None and structure.guild_id == guild_id:
        structure.discord_role_id = role_id


async def forget_role(session: AsyncSession, *, guild_id: int, role_id: int) -> list[int]:
    """A managed role was deleted in Discord: clear it so reconciliation recreates it.
    Returns the structures that used it."""
    rows = list(
        await session.scalars(
            select(Structure).where(
                Structure.guild_id == guild_id, Structure.discord_role_id == role_id
            )
        )
    )
    for structure in rows:
        structure.discord_role_id = None
    return [s.id for s in rows]
