"""Core commands: /aide, /config (coordinators), /livraisons (coordinators)."""

from bot.client import AiguillageBot
from cogs.core.cog import CoreCog


async def setup(bot: AiguillageBot) -> None:
    await bot.add_cog(CoreCog(bot))
