"""Demo data for the observatory: a year of anonymous /orienter requests on the demo
network, and a record of the offer at the end of the previous semester, so that
`/observatoire voir` has a trend, unmet needs and comparisons to show."""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from db.demand import mark_handover, record_orientation_request
from db.models.observatory import DemandRecord

from . import data
from .coverage import BIT_WALK_IN, coverage_matrix
from .figures import snapshot_figures
from .health import freshness
from .needs import NeedCatalogue
from .periods import semester_of

log = logging.getLogger("aiguillage.observatory.demo")

REQUESTS = 240
# What professionals of a Mérignac-like network ask most (relative weights).
NEED_WEIGHTS = {
    "caf": 9,
    "impots": 6,
    "sante": 6,
    "emploi_inscription": 5,
    "emploi_candidature": 4,
    "ants": 4,
    "etrangers": 3,
    "retraite": 3,
    "mail": 3,
    "smartphone": 3,
    "sans_equipement": 3,
    "scolarite": 2,
    "banque": 2,
    "securite": 1,
}


async def seed_demo(bot: Any, guild_id: int, people: dict[str, int]) -> None:
    async with bot.db.session() as session:
        if await session.scalar(
            select(DemandRecord.id).where(DemandRecord.guild_id == guild_id).limit(1)
        ):
            return  # already seeded (restart on the same database)
        places = [p for p in await data.load_places(session, guild_id) if p.receives_public]
    if not places:
        return
    needs = NeedCatalogue.load()
    weights = {k: w for k, w in NEED_WEIGHTS.items() if k in needs.needs}
    keys, shares = list(weights), list(weights.values())
    areas = sorted({(p.commune, p.quartier) for p in places})
    rng = random.Random(20261124)  # the same demo every time
    now = bot.clock.now()
    async with bot.db.transaction() as session:
        for _ in range(REQUESTS):
            key = rng.choices(keys, shares)[0]
            mask = needs.services_mask(key)
            walk_in = rng.random() < 0.2
            offering = [
                p
                for p in places
                if p.services_mask & mask and (not walk_in or p.acces_mask & BIT_WALK_IN)
            ]
            area = rng.choice(areas) if rng.random() < 0.65 else None
            if area is not None and rng.random() < 0.5:
                # Nearby places only, as a professional filtering on the quartier sees.
                offering = [p for p in offering if p.quartier == area[1]] or offering[:1]
            results = len(offering) if rng.random() > 0.1 else 0
            request_id = await record_orientation_request(
                session,
                guild_id,
                services=list(needs.needs[key].services),
                needs=[key],
                area=area,
                filters=["sans_rdv"] if walk_in else [],
                result_count=results,
                at=now - timedelta(days=rng.randrange(0, 365), hours=rng.randrange(0, 10)),
            )
            if results and rng.random() < 0.25:
                await mark_handover(session, guild_id, request_id)
        # The offer as it was at the end of the previous semester: two places fewer and
        # more entries to check, so the comparison has something to say.
        states, charter = await data.load_structure_states(session, guild_id)
        figures = snapshot_figures(
            coverage_matrix(await data.load_places(session, guild_id)),
            freshness(states, now, charter_version=charter),
        )
        figures["places"] = max(0, figures["places"] - 2)
        figures["stale"] = figures["stale"] + 3
        previous_end = semester_of(now.date()).previous().last_day
        await data.save_snapshot(session, guild_id, previous_end, figures, now)
    log.info("observatory demo: %d requests logged", REQUESTS)
