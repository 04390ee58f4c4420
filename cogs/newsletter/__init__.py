"""Newsletter: members propose items, coordinators review and order them, the issue is
published on schedule (or from a PDF made elsewhere) and archived in the library and on the
web side (HTML page, Markdown/HTML exports, Atom feed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.client import AiguillageBot


async def setup(bot: AiguillageBot) -> None:
    from cogs.newsletter.cog import NewsletterCog, declare_settings, register_deliveries
    from cogs.newsletter.web import NewsletterWeb

    declare_settings(bot.guild_config)
    cog = NewsletterCog(bot)
    register_deliveries(bot, cog)
    NewsletterWeb(bot).register()
    await bot.add_cog(cog)
