"""The network's legal charter: versions, acceptance, gate role, reminders, follow-up."""

from bot.client import AiguillageBot
from cogs.charter.cog import CharterCog, declare_settings


async def setup(bot: AiguillageBot) -> None:
    declare_settings(bot)
    await bot.add_cog(CharterCog(bot))
