"""Demo data: an announcement by the CCAS referent, scheduled two days ahead at 09:30."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.client import AiguillageBot
from bot.clock import PARIS
from cogs.announcements import store
from cogs.announcements.policy import MentionPlan
from db.models.announcements import Announcement
from db.network import member_structure_id


async def seed_demo(bot: AiguillageBot, guild_id: int, people: dict[str, int]) -> None:
    channels = await bot.guild_config.get(guild_id, "channel.announcements") or []
    if not channels:
        return
    author = people["referent"]
    async with bot.db.transaction() as session:
        if await session.scalar(select(Announcement.id).where(Announcement.guild_id == guild_id)):
            return
        local = (bot.clock.now() + timedelta(days=2)).astimezone(PARIS)
        publish_at = local.replace(hour=9, minute=30, second=0, microsecond=0)
        draft = await store.create_draft(
            session,
            guild_id=guild_id,
            author_id=author,
            structure_id=await member_structure_id(session, guild_id, author),
            signature="CCAS",
            title="Permanence « démarches retraite » au CCAS",
            body=(
                "Jeudi, de 14 h à 17 h, une conseillère de la CARSAT tient une permanence au CCAS "
                "(Espace France Services). Orientez-nous les personnes qui préparent leur dossier "
                "de retraite en ligne : sur rendez-vous au 05 56 55 66 00."
            ),
            link_url="https://www.merignac.com",
            channel_id=int(channels[0]),
            mentions=MentionPlan(),
            publish_at=publish_at,
            attachment_sha256=None,
            attachment_filename=None,
            now=bot.clock.now(),
        )
        await store.confirm(
            session,
            guild_id=guild_id,
            announcement_id=draft.id,
            actor_id=author,
            is_coordinator=False,
        )
        await bot.scheduler.schedule(
            session,
            guild_id=guild_id,
            kind=store.DELIVERY_KIND,
            due_at=publish_at,
            payload={"announcement_id": draft.id},
            dedupe_key=store.delivery_key(draft.id),
            created_by=author,
        )
