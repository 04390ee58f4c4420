"""Directory of structures and /orienter: where to refer a person, from data kept true."""

from __future__ import annotations

from bot.client import AiguillageBot
from db.directory.matching import load_table

from .cog import (
    SETTING_FRESHNESS,
    SETTING_HANDOVER_EXPIRY,
    DirectoryCog,
    deliver_freshness_reminder,
)
from .views import DYNAMIC_ITEMS
from .workflow import DEFAULT_FRESHNESS_DAYS, DEFAULT_HANDOVER_EXPIRY_DAYS


async def setup(bot: AiguillageBot) -> None:
    bot.guild_config.declare(
        SETTING_FRESHNESS,
        "int",
        "Annuaire : jours avant de redemander aux référents si leur fiche est exacte",
        DEFAULT_FRESHNESS_DAYS,
        label_en="Directory: days before asking referents to confirm their entry",
    )
    bot.guild_config.declare(
        SETTING_HANDOVER_EXPIRY,
        "int",
        "Orientations : jours avant qu'une orientation sans réponse expire",
        DEFAULT_HANDOVER_EXPIRY_DAYS,
        label_en="Referrals: days before an unanswered referral expires",
    )
    table = load_table(getattr(bot.settings, "synonyms_file", None))
    cog = DirectoryCog(bot, table)
    await bot.add_cog(cog)
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    bot.scheduler.register_handler("directory.freshness", deliver_freshness_reminder)
    bot.scheduler.add_periodic("directory.freshness", cog.plan_freshness, hour=9, minute=0)
