"""Announcements by referents and coordinators: preview, scheduling, edit, withdrawal."""

from bot.client import AiguillageBot
from cogs.announcements.cog import AnnouncementsCog, declare_settings


async def setup(bot: AiguillageBot) -> None:
    declare_settings(bot)
    await bot.add_cog(AnnouncementsCog(bot))
