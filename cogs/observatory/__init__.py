"""Observatory of the network for the COPIL: coverage, unmet needs and the network's
health, in figures and pictures (issue 11)."""

from __future__ import annotations

import logging

from bot.client import AiguillageBot

from .cog import ObservatoryCog
from .views import DYNAMIC_ITEMS

log = logging.getLogger("aiguillage.observatory")


async def setup(bot: AiguillageBot) -> None:
    cog = ObservatoryCog(bot)
    await bot.add_cog(cog)
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    # The offer of the 1st of each month is kept, for comparisons between periods.
    bot.scheduler.add_periodic("observatory.snapshot", cog.take_snapshots, day=1, hour=5, minute=30)
    router = bot.web.app.router
    if not router.frozen:  # routes can only be added before the web side starts
        router.add_get("/g/{guild_id}/observatoire", cog.web_page)
        router.add_get("/g/{guild_id}/observatoire.csv", cog.web_csv)
    else:
        log.warning("web side already started: observatory page not registered")
