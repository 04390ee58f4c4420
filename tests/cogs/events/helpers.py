"""Test data for the events capability: structures, referents, the real scheduler."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.scheduler import DeliveryScheduler
from cogs.events import service
from db.engine import Database
from db.models.core import ScheduledDelivery
from db.models.structures import Referent, Structure

GUILD = 900_000_000_000_000_001


async def add_structure(
    session: AsyncSession,
    name: str,
    *,
    guild_id: int = GUILD,
    referents: tuple[int, ...] = (),
    role_id: int | None = None,
    archived_at: datetime | None = None,
) -> Structure:
    structure = Structure(
        guild_id=guild_id,
        external_id=f"test-{name}",
        nom=name,
        commune="Mérignac",
        code_postal="33700",
        adresse="1 place de la République",
        date_maj=date(2026, 1, 1),
        discord_role_id=role_id,
        archived_at=archived_at,
    )
    session.add(structure)
    await session.flush()
    for user_id in referents:
        session.add(Referent(guild_id=guild_id, structure_id=structure.id, user_id=user_id))
    await session.flush()
    return structure


def real_scheduler(database: Database, now: datetime) -> DeliveryScheduler:
    """The runtime's scheduler (not started): schedule/cancel write real delivery rows."""
    scheduler = DeliveryScheduler(database, Clock(now))

    async def never_called(bot: Any, delivery: Any) -> None:
        raise AssertionError("deliveries are not dispatched in data-layer tests")

    for kind in (
        service.REMINDER_KIND,
        service.DM_KIND,
        service.CADENCE_KIND,
        service.CLOSE_KIND,
    ):
        scheduler.register_handler(kind, never_called)
    return scheduler


async def delivery_rows(database: Database, kind: str | None = None) -> list[ScheduledDelivery]:
    async with database.session() as session:
        query = select(ScheduledDelivery).order_by(ScheduledDelivery.due_at, ScheduledDelivery.id)
        if kind:
            query = query.where(ScheduledDelivery.kind == kind)
        return list((await session.execute(query)).scalars())
