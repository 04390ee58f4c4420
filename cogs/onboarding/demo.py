"""Demo data: "nouveau" asked to join for the Médiathèque; the request waits for a decision."""

from __future__ import annotations

from sqlalchemy import select

from bot.client import AiguillageBot
from cogs.onboarding import requests
from db.models.onboarding import OnboardingRequest
from db.models.structures import Structure
from db.network import current_charter_version, record_charter_acceptance


async def seed_demo(bot: AiguillageBot, guild_id: int, people: dict[str, int]) -> None:
    newcomer = people["nouveau"]
    async with bot.db.transaction() as session:
        if await session.scalar(
            select(OnboardingRequest.id).where(OnboardingRequest.user_id == newcomer)
        ):
            return
        structure = await session.scalar(
            select(Structure).where(
                Structure.guild_id == guild_id,
                Structure.external_id == "merignac-mediatheque-michel-serres",
            )
        )
        if structure is None:
            return
        charter = await current_charter_version(session, guild_id)
        submission = await requests.submit(
            session,
            guild_id=guild_id,
            user_id=newcomer,
            structure_id=structure.id,
            charter_version_id=charter.id if charter else None,
            already_member=False,
            now=bot.clock.now(),
        )
        if charter is not None:
            await record_charter_acceptance(
                session,
                guild_id=guild_id,
                version_id=charter.id,
                user_id=newcomer,
                structure_id=structure.id,
                interaction_id=None,
                now=bot.clock.now(),
            )
        request = submission.request
    cog = bot.get_cog("OnboardingCog")
    guild = bot.get_guild(guild_id)
    if cog is not None and guild is not None:
        # Posted like a real request: the coordinators' buttons are there to click.
        await cog.post_for_review(guild, request, submission.structure_name, charter, [])  # type: ignore[attr-defined]
