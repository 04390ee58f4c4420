"""Network events: COPIL and temps forts — plan, remind, gather answers, record minutes."""

from __future__ import annotations

import logging

from bot.client import AiguillageBot
from cogs.events import service
from cogs.events.cog import EventsCog
from cogs.events.rsvp import DEFAULT_QUORUM_PERCENT
from cogs.events.timing import (
    DEFAULT_CADENCE_LEAD_DAYS,
    DEFAULT_CADENCE_MONTHS,
    DEFAULT_REMINDER_OFFSETS,
)
from cogs.events.views import DYNAMIC_ITEMS

log = logging.getLogger("aiguillage.events")


def declare_settings(bot: AiguillageBot) -> None:
    config = bot.guild_config
    config.declare(
        "events.reminder_offsets",
        "text",
        "Rappels des événements (ex. J-14, J-7, J-1, H-2)",
        default=", ".join(DEFAULT_REMINDER_OFFSETS),
        label_en="Event reminders (e.g. J-14, J-7, J-1, H-2)",
    )
    config.declare(
        "events.quorum_percent",
        "int",
        "Quorum du COPIL (% des structures représentées)",
        default=DEFAULT_QUORUM_PERCENT,
        label_en="COPIL quorum (% of structures represented)",
    )
    config.declare(
        "events.cadence_months",
        "int",
        "Rythme des COPIL en mois (0 : pas de rappel)",
        default=DEFAULT_CADENCE_MONTHS,
        label_en="COPIL cadence in months (0: no reminder)",
    )
    config.declare(
        "events.cadence_lead_days",
        "int",
        "Prévenir les coordinateurs N jours avant l'échéance du COPIL",
        default=DEFAULT_CADENCE_LEAD_DAYS,
        label_en="Warn coordinators N days before the COPIL is due",
    )


async def setup(bot: AiguillageBot) -> None:
    cog = EventsCog(bot)
    declare_settings(bot)
    bot.scheduler.register_handler(service.REMINDER_KIND, cog.deliver_reminder)
    bot.scheduler.register_handler(service.DM_KIND, cog.deliver_dm)
    bot.scheduler.register_handler(service.CADENCE_KIND, cog.deliver_cadence)
    bot.scheduler.register_handler(service.CLOSE_KIND, cog.deliver_close)
    bot.scheduler.add_periodic("events.cadence", cog.plan_cadence, hour=9, minute=0)
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    router = bot.web.app.router
    if not router.frozen:  # routes can only be added before the web side starts
        router.add_get("/g/{guild_id}/events.ics", cog.web_feed)
        router.add_get("/g/{guild_id}/events/{event_id}.ics", cog.web_event)
    else:
        log.warning("web side already started: calendar feed routes not registered")
    await bot.add_cog(cog)
