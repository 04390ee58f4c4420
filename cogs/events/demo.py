"""Demo data: an upcoming COPIL with a few answers, a past one, and a temps fort."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from sqlalchemy import select

from bot.client import AiguillageBot
from cogs.events import service
from cogs.events.service import EventDraft
from cogs.events.timing import PARIS, paris_to_utc
from db.models.events import EventKind, NetworkEvent, RsvpResponse

log = logging.getLogger("aiguillage.events.demo")


def _paris_day(now: datetime, days_ahead: int, at: time, weekday: int | None = None) -> datetime:
    """``days_ahead`` days from now (or the first given weekday after that), Paris time."""
    day = now.astimezone(PARIS).date() + timedelta(days=days_ahead)
    if weekday is not None:
        day += timedelta(days=(weekday - day.weekday()) % 7)
    return paris_to_utc(datetime.combine(day, at))


async def seed_demo(bot: AiguillageBot, guild_id: int, people: dict[str, int]) -> None:
    cog = bot.get_cog("EventsCog")
    async with bot.db.session() as session:
        existing = await session.scalar(
            select(NetworkEvent.id).where(NetworkEvent.guild_id == guild_id).limit(1)
        )
    if existing is not None or cog is None:
        return
    now = bot.clock.now()
    coordinator = people.get("coordinateur")
    channel_id = await bot.guild_config.get(guild_id, "channel.events")
    past_start = _paris_day(now, -150, time(14, 0), weekday=1)  # a Tuesday
    upcoming_start = _paris_day(now, 20, time(14, 0), weekday=3)  # a Thursday
    forum_start = _paris_day(now, 45, time(9, 30), weekday=5)  # a Saturday
    async with bot.db.transaction() as session:
        past = await service.create_event(
            session,
            None,  # long over: no reminders
            guild_id=guild_id,
            draft=EventDraft(
                kind=EventKind.COPIL,
                title="COPIL du plan pour un numérique inclusif",
                starts_at=past_start,
                ends_at=past_start + timedelta(hours=2),
                agenda="1. Présentation du plan\n2. Cartographie des lieux\n3. Charte du réseau",
                location="Hôtel de ville de Mérignac, salle du conseil",
            ),
            created_by=coordinator,
            channel_id=channel_id,
            now=past_start - timedelta(days=30),
        )
        upcoming = await service.create_event(
            session,
            bot.scheduler,
            guild_id=guild_id,
            draft=EventDraft(
                kind=EventKind.COPIL,
                title="COPIL du semestre",
                starts_at=upcoming_start,
                ends_at=upcoming_start + timedelta(hours=2),
                agenda=(
                    "1. Bilan du semestre (orientations, ateliers)\n"
                    "2. Lettre d'information : calendrier\n"
                    "3. Charte : retours des structures\n"
                    "4. Temps fort de l'automne"
                ),
                location="Hôtel de ville de Mérignac, salle du conseil",
                video_url="https://visio.example.org/copil-merignac",
            ),
            created_by=coordinator,
            channel_id=channel_id,
            now=now,
        )
        forum = await service.create_event(
            session,
            bot.scheduler,
            guild_id=guild_id,
            draft=EventDraft(
                kind=EventKind.TEMPS_FORT,
                title="Forum du numérique pour tous",
                starts_at=forum_start,
                ends_at=forum_start + timedelta(hours=7),
                agenda="Stands des structures, ateliers découverte, permanence accès aux droits.",
                location="Salle polyvalente de Beutre",
            ),
            created_by=coordinator,
            channel_id=channel_id,
            now=now,
        )
        answers = [
            ("referent", RsvpResponse.YES, None),
            ("referente-beutre", RsvpResponse.REPRESENTED, "conseiller"),
            ("membre", RsvpResponse.NO, None),
        ]
        for person, response, delegate in answers:
            if person not in people or (delegate and delegate not in people):
                continue
            user_id = people[person]
            for event in (past, upcoming):
                await service.record_answer(
                    session,
                    event,
                    user_id=user_id,
                    response=response,
                    delegate_id=people[delegate] if delegate else None,
                    structure_ids=await service.member_structures(session, guild_id, user_id),
                    now=min(now, event.starts_at - timedelta(days=5)),
                )
    guild = bot.get_guild(guild_id)
    if guild is None:
        return
    for event in (upcoming, forum):
        warnings = await cog.sync_views(guild, event.id)  # type: ignore[attr-defined]
        for warning in warnings:
            log.warning("demo event %s: %s", event.id, warning)
