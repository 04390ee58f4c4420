"""Members' onboarding: structure choice, charter acceptance, approval by coordinators or referents."""

from bot.client import AiguillageBot
from cogs.onboarding.cog import OnboardingCog, declare_settings


async def setup(bot: AiguillageBot) -> None:
    declare_settings(bot)
    await bot.add_cog(OnboardingCog(bot))
