"""Demo: the demo network's guide is published at /guide/merignac/ so that `aiguillage
demo` shows the residents' side next to Discord."""

from __future__ import annotations

from bot.client import AiguillageBot

from .publication import get_publication, publish

DEMO_SLUG = "merignac"


async def seed_demo(bot: AiguillageBot, guild_id: int, people: dict[str, int]) -> None:
    async with bot.db.transaction() as session:
        if await get_publication(session, guild_id) is not None:
            return  # a restart of the demo keeps what coordinators did since
        await publish(
            session,
            guild_id,
            default_name="Réseau numérique inclusif — Mérignac",
            slug=DEMO_SLUG,
            title="Guide numérique de Mérignac",
            by=people.get("coordinateur"),
            now=bot.clock.now(),
        )
