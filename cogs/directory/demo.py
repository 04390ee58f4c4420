"""Demo extras for the directory: an open handover, a stale entry, an open error report.

The foundation's demo seeds the sample directory (config/demo/structures.json). When
``settings.demo_directory_file`` is set, this seed imports that file (CSV or JSON in the
national standard) into the demo network with ``standard.import_file`` first, so anyone
can try /orienter on their own territory's data.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from db.directory.standard import StandardFileError, import_file
from db.models.directory import ErrorReport, Handover
from db.models.structures import Structure

log = logging.getLogger("aiguillage.directory.demo")


async def seed_demo(bot: Any, guild_id: int, people: dict[str, int]) -> None:
    now = bot.clock.now()
    directory_file = getattr(bot.settings, "demo_directory_file", None)
    if directory_file:
        try:
            async with bot.db.transaction() as session:
                plan = await import_file(session, guild_id, directory_file, now=now)
            log.info("demo directory imported from %s: %s", directory_file, plan.summary_fr())
        except StandardFileError as error:
            log.error("demo directory %s refused:\n%s", directory_file, error.summary(20))
            raise
    async with bot.db.transaction() as session:
        if await session.scalar(select(Handover.id).where(Handover.guild_id == guild_id)):
            return  # already seeded (restart on the same database)
        structures = list(
            await session.scalars(
                select(Structure)
                .where(Structure.guild_id == guild_id, Structure.archived_at.is_(None))
                .order_by(Structure.id)
            )
        )
        if not structures:
            return
        by_external = {s.external_id: s for s in structures}
        receiver = by_external.get("merignac-mdh-beutre", structures[0])
        sender_structure = by_external.get("merignac-ccas")
        session.add(
            Handover(
                guild_id=guild_id,
                structure_id=receiver.id,
                sender_id=people["referent"],
                sender_structure_id=sender_structure.id if sender_structure else None,
                need="Mise à jour du dossier CAF (pas d'ordinateur à la maison)",
                expected_when="jeudi matin",
                case_ref="CCAS-2026-118",
                note="Personne à l'aise à l'oral, a besoin d'aide pour l'espace en ligne.",
                created_at=now - timedelta(hours=3),
                expires_at=now + timedelta(days=7),
            )
        )
        # A stale entry: the last structure, neither verified nor updated for a year.
        stale = structures[-1]
        stale.verified_at = None
        stale.date_maj = (now - timedelta(days=400)).date()
        reported = by_external.get("merignac-mediatheque-michel-serres", structures[0])
        session.add(
            ErrorReport(
                guild_id=guild_id,
                structure_id=reported.id,
                reporter_id=people["membre"],
                field="horaires",
                text="Fermée le lundi matin depuis la rentrée.",
                created_at=now - timedelta(days=2),
            )
        )
