"""The residents' guide: the directory published on the web (search, place pages, PDF,
open data), switched on and off by coordinators with `/guide publier|retirer`."""

from bot.client import AiguillageBot
from cogs.guide.cog import GuideCog


async def setup(bot: AiguillageBot) -> None:
    await bot.add_cog(GuideCog(bot))
