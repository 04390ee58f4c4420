"""Demo data: the conseiller numérique is the CCAS referent's deputy; roles reconciled."""

from __future__ import annotations

import contextlib

from sqlalchemy import select

from bot.client import AiguillageBot
from cogs.referents import assignments
from cogs.referents.errors import ReferentError
from db.models.structures import ReferentRank, Structure


async def seed_demo(bot: AiguillageBot, guild_id: int, people: dict[str, int]) -> None:
    deputy = people.get("conseiller")
    async with bot.db.transaction() as session:
        ccas = await session.scalar(
            select(Structure.id).where(
                Structure.guild_id == guild_id, Structure.external_id == "merignac-ccas"
            )
        )
        if ccas is not None and deputy is not None:
            with contextlib.suppress(ReferentError):  # seeded already
                await assignments.designate(
                    session,
                    guild_id=guild_id,
                    structure_id=ccas,
                    user_id=deputy,
                    rank=ReferentRank.DEPUTY,
                    actor_id=people["coordinateur"],
                    now=bot.clock.now(),
                    max_titulars=1,
                    max_deputies=1,
                )
    cog = bot.get_cog("ReferentsCog")
    guild = bot.get_guild(guild_id)
    if cog is not None and guild is not None:
        await cog.reconcile_guild(guild, notify=False)  # type: ignore[attr-defined]
