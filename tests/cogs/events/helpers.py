"""Test data for the events capability: structures, referents, a scheduler double."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

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


class RecordingScheduler:
    """Stands in for bot.scheduler in data-layer tests: same idempotence by dedupe key."""

    def __init__(self) -> None:
        self.pending: dict[str, dict[str, Any]] = {}
        self.cancelled: list[str] = []

    async def schedule(
        self,
        session: AsyncSession,
        *,
        guild_id: int,
        kind: str,
        due_at: datetime,
        payload: dict[str, Any],
        dedupe_key: str | None = None,
        grace: timedelta | None = None,
        created_by: int | None = None,
    ) -> None:
        assert dedupe_key is not None
        self.pending.setdefault(
            dedupe_key, {"kind": kind, "due_at": due_at, "payload": payload, "grace": grace}
        )

    async def cancel(
        self, session: AsyncSession, guild_id: int, *, dedupe_prefix: str | None = None
    ) -> None:
        assert dedupe_prefix
        for key in [k for k in self.pending if k.startswith(dedupe_prefix)]:
            del self.pending[key]
            self.cancelled.append(key)
