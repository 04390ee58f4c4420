"""Referents per structure: designation, listing, Discord roles reconciled with the database."""

from bot.client import AiguillageBot
from cogs.referents.cog import ReferentsCog, declare_settings


async def setup(bot: AiguillageBot) -> None:
    declare_settings(bot)
    await bot.add_cog(ReferentsCog(bot))
