"""/audit: the audit log of privileged actions, for coordinators."""

from bot.client import AiguillageBot
from cogs.audit.cog import AuditCog


async def setup(bot: AiguillageBot) -> None:
    await bot.add_cog(AuditCog(bot))
