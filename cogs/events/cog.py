"""Slash commands, buttons and deliveries of network events (COPIL, temps forts, ateliers).

Thin glue: parse and check here, the work in ``service`` (database) and ``timing`` /
``rsvp`` / ``ical`` (pure logic), the looks in ``render``. The database is the truth; the
Discord scheduled event and the announcement are views of it, re-synced after each change.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import discord
from aiohttp import web
from discord import app_commands
from discord.ext import commands
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.client import AiguillageBot
from bot.errors import PermissionRefused, UserError
from bot.i18n import locale_of, t
from bot.permissions import coordinator_only, is_coordinator, is_member, member_only
from bot.scheduler import PermanentDeliveryError
from cogs.events import render, service
from cogs.events.ical import build_calendar, ics_filename
from cogs.events.parsing import check_url, parse_duration, parse_start
from cogs.events.rsvp import DEFAULT_QUORUM_PERCENT
from cogs.events.service import EventDraft, EventError
from cogs.events.timing import (
    DEFAULT_CADENCE_LEAD_DAYS,
    DEFAULT_CADENCE_MONTHS,
    DEFAULT_REMINDER_OFFSETS,
    SendDecision,
    TimingError,
    cadence_check,
    parse_offsets,
)
from cogs.events.views import DelegateSelectView, announcement_view, reminder_dm_view
from db.models import Guild
from db.models.core import ScheduledDelivery
from db.models.documents import Document, DocumentOrigin
from db.models.events import EventKind, NetworkEvent, RsvpResponse

log = logging.getLogger("aiguillage.events")

NO_MENTIONS = discord.AllowedMentions.none()
DEFAULT_DURATION = timedelta(hours=2)
MAX_MINUTES_BYTES = 25 * 1024 * 1024
ANSWERS = {"yes": RsvpResponse.YES, "no": RsvpResponse.NO, "rep": RsvpResponse.REPRESENTED}
KIND_CHOICES = [
    app_commands.Choice(name="COPIL", value=EventKind.COPIL),
    app_commands.Choice(name="Temps fort", value=EventKind.TEMPS_FORT),
    app_commands.Choice(name="Atelier", value=EventKind.ATELIER),
    app_commands.Choice(name="Réunion", value=EventKind.REUNION),
    app_commands.Choice(name="Autre", value=EventKind.AUTRE),
]


def _user_error(exc: TimingError | EventError) -> UserError:
    return UserError(exc.key, **exc.params)


def _jump_url(event: NetworkEvent) -> str | None:
    if event.channel_id and event.message_id:
        return (
            f"https://discord.com/channels/{event.guild_id}/{event.channel_id}/{event.message_id}"
        )
    return None


class EventsCog(commands.Cog):
    copil = app_commands.Group(
        name="copil", description="Comité de pilotage du réseau (COPIL)", guild_only=True
    )
    events = app_commands.Group(
        name="evenement",
        description="Événements du réseau : temps forts, ateliers, réunions",
        guild_only=True,
    )

    def __init__(self, bot: AiguillageBot) -> None:
        self.bot = bot
        # One announcement refresh at a time per event, so concurrent clicks never leave
        # the embed showing an older state than the database.
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        # Events whose refresh is waiting for the lock: it will read the latest answers, so
        # further clicks meanwhile need no refresh of their own (one edit, not one per click).
        self._refresh_waiting: set[int] = set()
        self._feed_cache: dict[int, tuple[Any, bytes]] = {}

    # ---- settings ------------------------------------------------------------------------
    async def _int_setting(self, guild_id: int, key: str, default: int) -> int:
        value = await self.bot.guild_config.get(guild_id, key, default)
        try:
            return int(value)
        except (TypeError, ValueError):
            log.warning("setting %s of guild %s is not a number: %r", key, guild_id, value)
            return default

    async def _quorum_percent(self, guild_id: int) -> int:
        value = await self._int_setting(guild_id, "events.quorum_percent", DEFAULT_QUORUM_PERCENT)
        return min(max(value, 1), 100)

    async def _default_offsets(self, guild_id: int) -> list[str]:
        value = await self.bot.guild_config.get(guild_id, "events.reminder_offsets")
        if value:
            try:
                return [o.label for o in parse_offsets(str(value))]
            except TimingError:
                log.warning("bad events.reminder_offsets for guild %s: %r", guild_id, value)
        return list(DEFAULT_REMINDER_OFFSETS)

    async def _events_channel_id(self, guild_id: int, fallback: int | None) -> int | None:
        configured = await self.bot.guild_config.get(guild_id, "channel.events")
        return int(configured) if configured else fallback

    # ---- Discord views of an event ---------------------------------------------------------
    def _scheduled_event_fields(self, guild: discord.Guild, event: NetworkEvent) -> dict[str, Any]:
        description_parts = [event.agenda] if event.agenda else []
        if event.video_url and event.location:
            description_parts.append(t("events.where_video", "fr", url=event.video_url))
        fields: dict[str, Any] = {
            "name": event.title[:100],
            "description": "\n\n".join(description_parts)[:1000],
            "start_time": event.starts_at,
            "end_time": event.ends_at,
            "privacy_level": discord.PrivacyLevel.guild_only,
        }
        channel = guild.get_channel(event.voice_channel_id) if event.voice_channel_id else None
        if isinstance(channel, discord.StageChannel):
            fields.update(entity_type=discord.EntityType.stage_instance, channel=channel)
        elif isinstance(channel, discord.VoiceChannel):
            fields.update(entity_type=discord.EntityType.voice, channel=channel)
        else:
            location = event.location or event.video_url or t("events.ics_voice_location", "fr")
            fields.update(entity_type=discord.EntityType.external, location=location[:100])
        return fields

    async def _sync_scheduled_event(self, guild: discord.Guild, event: NetworkEvent) -> str | None:
        """Create or update the native Discord event; returns a warning for the coordinator."""
        try:
            if event.cancelled:
                if event.discord_event_id:
                    existing = await guild.fetch_scheduled_event(event.discord_event_id)
                    if existing.status == discord.EventStatus.scheduled:
                        await existing.cancel()
                return None
            fields = self._scheduled_event_fields(guild, event)
            if event.discord_event_id:
                existing = await guild.fetch_scheduled_event(event.discord_event_id)
                if fields["entity_type"] == discord.EntityType.external:
                    fields["channel"] = None
                await existing.edit(**fields)
                return None
            created = await guild.create_scheduled_event(**fields)
        except discord.NotFound:
            # Deleted by hand on Discord: nothing to cancel, or a new one to make next time.
            event.discord_event_id = None
            return None if event.cancelled else t("events.warn_discord_event", "fr")
        except discord.HTTPException as exc:
            log.warning("scheduled event sync failed for event %s: %s", event.id, exc)
            return t("events.warn_discord_event", "fr")
        event.discord_event_id = created.id
        return None

    async def _render_announcement(self, event: NetworkEvent) -> discord.Embed:
        # The setting first: a second session opened inside this one could wait forever
        # for a pooled connection when many clicks arrive together.
        quorum = await self._quorum_percent(event.guild_id)
        async with self.bot.db.session() as session:
            summary = await service.summary_of(session, event, quorum)
        return render.announcement_embed(event, summary)

    async def _sync_announcement(self, event: NetworkEvent) -> str | None:
        """Post the announcement if missing, else edit it to the current state."""
        if event.channel_id is None:
            return t("events.warn_no_channel", "fr")
        embed = await self._render_announcement(event)
        view = announcement_view(
            event.id,
            open_for_answers=not event.cancelled and event.starts_at > self.bot.clock.now(),
        )
        channel = await self.bot.resolve_channel(event.channel_id)
        if channel is None:
            return t("events.warn_no_channel", "fr")
        try:
            if event.message_id:
                try:
                    await channel.get_partial_message(event.message_id).edit(
                        embed=embed, view=view, allowed_mentions=NO_MENTIONS
                    )
                    return None
                except discord.NotFound:
                    event.message_id = None  # deleted by hand: post it again
            message = await channel.send(embed=embed, view=view, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.warning("announcement of event %s failed: %s", event.id, exc)
            return t("events.warn_announcement", "fr", channel=f"<#{event.channel_id}>")
        event.message_id = message.id
        return None

    async def sync_views(self, guild: discord.Guild, event_id: int) -> list[str]:
        """Bring the Discord event and the announcement in line with the database."""
        async with self.bot.db.session() as session:
            event = await service.get_event(session, guild.id, event_id)
        before = (event.discord_event_id, event.message_id)
        warnings = [
            w
            for w in (
                await self._sync_scheduled_event(guild, event),
                await self._sync_announcement(event),
            )
            if w
        ]
        if (event.discord_event_id, event.message_id) != before:
            async with self.bot.db.transaction() as session:
                stored = await service.get_event(session, guild.id, event_id)
                stored.discord_event_id = event.discord_event_id
                stored.message_id = event.message_id
        return warnings

    async def _refresh_announcement(self, guild_id: int, event_id: int) -> None:
        if event_id in self._refresh_waiting:
            return
        self._refresh_waiting.add(event_id)
        async with self._locks[event_id]:
            self._refresh_waiting.discard(event_id)
            async with self.bot.db.session() as session:
                event = await service.get_event(session, guild_id, event_id)
            await self._sync_announcement(event)

    # ---- autocomplete ------------------------------------------------------------------
    async def _event_choices(
        self,
        interaction: discord.Interaction,
        current: str,
        *,
        upcoming: bool,
        kind: str | None,
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        locale = locale_of(interaction)
        async with self.bot.db.session() as session:
            rows = await service.list_events(
                session,
                interaction.guild_id,
                now=self.bot.clock.now(),
                upcoming=upcoming,
                kind=kind,
                include_cancelled=not upcoming,
                limit=50,
            )
        needle = current.casefold().strip()
        choices = []
        for event in rows:
            label = render.event_choice_label(event, locale)
            if needle and needle not in label.casefold():
                continue
            choices.append(app_commands.Choice(name=label, value=event.id))
        return choices[:25]

    async def _upcoming_copil(self, interaction: discord.Interaction, current: str) -> list:
        return await self._event_choices(interaction, current, upcoming=True, kind=EventKind.COPIL)

    async def _upcoming_any(self, interaction: discord.Interaction, current: str) -> list:
        return await self._event_choices(interaction, current, upcoming=True, kind=None)

    async def _past_copil(self, interaction: discord.Interaction, current: str) -> list:
        choices = await self._event_choices(
            interaction, current, upcoming=False, kind=EventKind.COPIL
        )
        # A COPIL under way (started, not over) can get its minutes too.
        return choices or await self._upcoming_copil(interaction, current)

    # ---- planning ----------------------------------------------------------------------
    async def _plan(
        self,
        interaction: discord.Interaction,
        *,
        kind: str,
        title: str | None,
        date: str,
        time: str,
        duration: str | None,
        place: str | None,
        video_url: str | None,
        voice_channel: discord.VoiceChannel | None,
        agenda: str | None,
        offsets: str | None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        locale = locale_of(interaction)
        now = self.bot.clock.now()
        try:
            starts_at = parse_start(date, time, now)
            length = parse_duration(duration) if duration else DEFAULT_DURATION
            video = check_url(video_url) if video_url else None
            reminder_offsets = (
                [o.label for o in parse_offsets(offsets)]
                if offsets
                else await self._default_offsets(guild.id)
            )
        except TimingError as exc:
            raise _user_error(exc) from None
        if not title:
            title = t(
                "events.default_title",
                "fr",
                kind=render.kind_label(kind, "fr"),
                date=render.long_date(starts_at, "fr"),
            )
        draft = EventDraft(
            kind=kind,
            title=title,
            starts_at=starts_at,
            ends_at=starts_at + length,
            agenda=(agenda or "").replace("\\n", "\n"),
            location=place,
            video_url=video,
            voice_channel_id=voice_channel.id if voice_channel else None,
            offsets=reminder_offsets,
        )
        try:
            draft.check(now)
        except EventError as exc:
            raise _user_error(exc) from None
        await interaction.response.defer(ephemeral=True, thinking=True)
        channel_id = await self._events_channel_id(guild.id, interaction.channel_id)
        async with self.bot.db.transaction() as session:
            event = await service.create_event(
                session,
                self.bot.scheduler,
                guild_id=guild.id,
                draft=draft,
                created_by=interaction.user.id,
                channel_id=channel_id,
                now=now,
            )
            await self.bot.audit(
                guild.id,
                actor_id=interaction.user.id,
                action="events.plan",
                target=f"{event.kind}:{event.id} {event.title}",
                details={"starts_at": event.starts_at.isoformat()},
                session=session,
            )
        warnings = await self.sync_views(guild, event.id)
        async with self.bot.db.session() as session:
            event = await service.get_event(session, guild.id, event.id)
            reminders = await self._pending_reminders(session, event)
        lines = [
            t(
                "events.planned",
                locale,
                kind=render.kind_label(event.kind, locale),
                title=event.title,
                when=render.when(event.starts_at, locale),
            ),
            t(
                "events.planned_reminders",
                locale,
                reminders=", ".join(
                    f"{label} ({render.when(due, locale)})" for label, due in reminders
                )
                or t("events.none", locale),
            ),
        ]
        if (url := _jump_url(event)) is not None:
            lines.append(t("events.planned_link", locale, link=url))
        lines += [f"⚠️ {w}" for w in warnings]
        await interaction.followup.send(
            "\n".join(lines), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    async def _pending_reminders(
        self, session: Any, event: NetworkEvent
    ) -> list[tuple[str, datetime]]:
        rows = await session.execute(
            select(ScheduledDelivery.payload, ScheduledDelivery.due_at)
            .where(
                ScheduledDelivery.guild_id == event.guild_id,
                ScheduledDelivery.kind == service.REMINDER_KIND,
                ScheduledDelivery.status == "pending",
                ScheduledDelivery.dedupe_key.startswith(service.reminder_prefix(event.id)),
            )
            .order_by(ScheduledDelivery.due_at)
        )
        return [(row.payload.get("label", "?"), row.due_at) for row in rows]

    @copil.command(name="planifier", description="Planifier un COPIL (coordinateurs)")
    @app_commands.rename(
        date="date",
        time="heure",
        duration="duree",
        place="lieu",
        video_url="lien_visio",
        voice_channel="salon_vocal",
        agenda="ordre_du_jour",
        title="titre",
        offsets="rappels",
    )
    @app_commands.describe(
        date="Date (ex. 12/03/2027 ou 12 mars)",
        time="Heure de début (ex. 14h ou 14h30)",
        duration="Durée (ex. 2h, 1h30 ; 2h par défaut)",
        place="Lieu (adresse, salle)",
        video_url="Lien de la visioconférence",
        voice_channel="Salon vocal du serveur",
        agenda="Ordre du jour (\\n pour aller à la ligne)",
        title="Titre (par défaut : COPIL du <date>)",
        offsets="Rappels (ex. J-14, J-7, J-1, H-2)",
    )
    @coordinator_only()
    async def copil_plan(
        self,
        interaction: discord.Interaction,
        date: str,
        time: str,
        place: str | None = None,
        video_url: str | None = None,
        voice_channel: discord.VoiceChannel | None = None,
        agenda: str | None = None,
        duration: str | None = None,
        title: str | None = None,
        offsets: str | None = None,
    ) -> None:
        await self._plan(
            interaction,
            kind=EventKind.COPIL,
            title=title,
            date=date,
            time=time,
            duration=duration,
            place=place,
            video_url=video_url,
            voice_channel=voice_channel,
            agenda=agenda,
            offsets=offsets,
        )

    @events.command(
        name="planifier", description="Planifier un événement du réseau (coordinateurs)"
    )
    @app_commands.rename(
        kind="type",
        title="titre",
        date="date",
        time="heure",
        duration="duree",
        place="lieu",
        video_url="lien_visio",
        voice_channel="salon_vocal",
        agenda="description",
        offsets="rappels",
    )
    @app_commands.describe(
        kind="Type d'événement",
        title="Titre de l'événement",
        date="Date (ex. 12/03/2027 ou 12 mars)",
        time="Heure de début (ex. 14h ou 14h30)",
        duration="Durée (ex. 2h, 1h30 ; 2h par défaut)",
        place="Lieu (adresse, salle)",
        video_url="Lien de la visioconférence",
        voice_channel="Salon vocal du serveur",
        agenda="Programme ou description (\\n pour aller à la ligne)",
        offsets="Rappels (ex. J-14, J-7, J-1, H-2)",
    )
    @app_commands.choices(kind=KIND_CHOICES)
    @coordinator_only()
    async def event_plan(
        self,
        interaction: discord.Interaction,
        kind: app_commands.Choice[str],
        title: str,
        date: str,
        time: str,
        place: str | None = None,
        video_url: str | None = None,
        voice_channel: discord.VoiceChannel | None = None,
        agenda: str | None = None,
        duration: str | None = None,
        offsets: str | None = None,
    ) -> None:
        await self._plan(
            interaction,
            kind=kind.value,
            title=title,
            date=date,
            time=time,
            duration=duration,
            place=place,
            video_url=video_url,
            voice_channel=voice_channel,
            agenda=agenda,
            offsets=offsets,
        )

    # ---- editing and cancelling ------------------------------------------------------
    async def _edit(
        self,
        interaction: discord.Interaction,
        event_id: int,
        *,
        date: str | None,
        time: str | None,
        duration: str | None,
        place: str | None,
        video_url: str | None,
        voice_channel: discord.VoiceChannel | None,
        agenda: str | None,
        title: str | None,
        offsets: str | None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        locale = locale_of(interaction)
        now = self.bot.clock.now()
        if not any(
            v is not None
            for v in (date, time, duration, place, video_url, voice_channel, agenda, title, offsets)
        ):
            raise UserError("events.error_nothing_to_change")
        async with self.bot.db.session() as session:
            try:
                current = await service.get_event(session, guild.id, event_id)
            except EventError as exc:
                raise _user_error(exc) from None
        try:
            starts_at = None
            if date is not None or time is not None:
                local = current.starts_at.astimezone(render.PARIS)
                starts_at = parse_start(
                    date or local.strftime("%d/%m/%Y"), time or local.strftime("%H:%M"), now
                )
            ends_at = None
            if duration is not None:
                ends_at = (starts_at or current.starts_at) + parse_duration(duration)
            video = check_url(video_url) if video_url else None
            labels = [o.label for o in parse_offsets(offsets)] if offsets else None
        except TimingError as exc:
            raise _user_error(exc) from None
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            async with self.bot.db.transaction() as session:
                event = await service.get_event(session, guild.id, event_id)
                changes = await service.update_event(
                    session,
                    self.bot.scheduler,
                    event,
                    now=now,
                    title=title,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    agenda=agenda.replace("\\n", "\n") if agenda is not None else None,
                    location=place,
                    video_url=video,
                    voice_channel_id=voice_channel.id if voice_channel else None,
                    offsets=labels,
                )
                if changes:
                    await self._notify_answerers(session, event, "changed", changes.fields, now)
                    await self.bot.audit(
                        guild.id,
                        actor_id=interaction.user.id,
                        action="events.edit",
                        target=f"{event.kind}:{event.id} {event.title}",
                        details={"fields": changes.fields},
                        session=session,
                    )
        except EventError as exc:
            raise _user_error(exc) from None
        if not changes:
            await interaction.followup.send(
                t("events.unchanged", locale), ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return
        warnings = await self.sync_views(guild, event_id)
        fields = ", ".join(t(f"events.field_name_{name}", locale) for name in changes.fields)
        text = t("events.edited", locale, title=event.title, fields=fields)
        text += "".join(f"\n⚠️ {w}" for w in warnings)
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def _notify_answerers(
        self,
        session: Any,
        event: NetworkEvent,
        change: str,
        fields: list[str],
        now: datetime,
    ) -> int:
        answers = await service.answers_of(session, event.id)
        people: list[int] = []
        for answer in answers:
            for user_id in (answer.user_id, answer.delegate_id):
                if user_id is not None and user_id not in people:
                    people.append(user_id)
        return await service.schedule_dms(
            session,
            self.bot.scheduler,
            event,
            targets=[(user_id, {"change": change, "fields": fields}) for user_id in people],
            template="notice",
            key=f"event:{event.id}:notice:s{event.sequence}",
            now=now,
        )

    _EDIT_RENAMES = dict(
        event_id="evenement",
        date="date",
        time="heure",
        duration="duree",
        place="lieu",
        video_url="lien_visio",
        voice_channel="salon_vocal",
        agenda="ordre_du_jour",
        title="titre",
        offsets="rappels",
    )
    _EDIT_DESCRIPTIONS = dict(
        event_id="L'événement à modifier",
        date="Nouvelle date",
        time="Nouvelle heure de début",
        duration="Nouvelle durée",
        place="Nouveau lieu",
        video_url="Nouveau lien de visio",
        voice_channel="Nouveau salon vocal",
        agenda="Nouvel ordre du jour",
        title="Nouveau titre",
        offsets="Nouveaux rappels (ex. J-7, J-1)",
    )

    @copil.command(name="modifier", description="Modifier un COPIL planifié (coordinateurs)")
    @app_commands.rename(**_EDIT_RENAMES)
    @app_commands.describe(**_EDIT_DESCRIPTIONS)
    @coordinator_only()
    async def copil_edit(
        self,
        interaction: discord.Interaction,
        event_id: int,
        date: str | None = None,
        time: str | None = None,
        place: str | None = None,
        video_url: str | None = None,
        voice_channel: discord.VoiceChannel | None = None,
        agenda: str | None = None,
        duration: str | None = None,
        title: str | None = None,
        offsets: str | None = None,
    ) -> None:
        await self._edit(
            interaction,
            event_id,
            date=date,
            time=time,
            duration=duration,
            place=place,
            video_url=video_url,
            voice_channel=voice_channel,
            agenda=agenda,
            title=title,
            offsets=offsets,
        )

    copil_edit.autocomplete("event_id")(_upcoming_copil)

    @events.command(name="modifier", description="Modifier un événement planifié (coordinateurs)")
    @app_commands.rename(**_EDIT_RENAMES)
    @app_commands.describe(**_EDIT_DESCRIPTIONS)
    @coordinator_only()
    async def event_edit(
        self,
        interaction: discord.Interaction,
        event_id: int,
        date: str | None = None,
        time: str | None = None,
        place: str | None = None,
        video_url: str | None = None,
        voice_channel: discord.VoiceChannel | None = None,
        agenda: str | None = None,
        duration: str | None = None,
        title: str | None = None,
        offsets: str | None = None,
    ) -> None:
        await self._edit(
            interaction,
            event_id,
            date=date,
            time=time,
            duration=duration,
            place=place,
            video_url=video_url,
            voice_channel=voice_channel,
            agenda=agenda,
            title=title,
            offsets=offsets,
        )

    event_edit.autocomplete("event_id")(_upcoming_any)

    async def _cancel(
        self, interaction: discord.Interaction, event_id: int, reason: str | None
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        locale = locale_of(interaction)
        now = self.bot.clock.now()
        try:
            async with self.bot.db.transaction() as session:
                event = await service.get_event(session, guild.id, event_id)
                await service.cancel_event(
                    session,
                    self.bot.scheduler,
                    event,
                    by=interaction.user.id,
                    reason=reason or "",
                    now=now,
                )
                await self._notify_answerers(session, event, "cancelled", [], now)
                await self.bot.audit(
                    guild.id,
                    actor_id=interaction.user.id,
                    action="events.cancel",
                    target=f"{event.kind}:{event.id} {event.title}",
                    details={"reason": event.cancel_reason},
                    session=session,
                )
        except EventError as exc:
            raise _user_error(exc) from None
        await interaction.response.defer(ephemeral=True, thinking=True)
        warnings = await self.sync_views(guild, event_id)
        text = t("events.cancelled_done", locale, title=event.title)
        text += "".join(f"\n⚠️ {w}" for w in warnings)
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @copil.command(name="annuler", description="Annuler un COPIL (coordinateurs)")
    @app_commands.rename(event_id="evenement", reason="motif")
    @app_commands.describe(event_id="Le COPIL à annuler", reason="Motif, communiqué aux inscrits")
    @coordinator_only()
    async def copil_cancel(
        self, interaction: discord.Interaction, event_id: int, reason: str | None = None
    ) -> None:
        await self._cancel(interaction, event_id, reason)

    copil_cancel.autocomplete("event_id")(_upcoming_copil)

    @events.command(name="annuler", description="Annuler un événement (coordinateurs)")
    @app_commands.rename(event_id="evenement", reason="motif")
    @app_commands.describe(
        event_id="L'événement à annuler", reason="Motif, communiqué aux inscrits"
    )
    @coordinator_only()
    async def event_cancel(
        self, interaction: discord.Interaction, event_id: int, reason: str | None = None
    ) -> None:
        await self._cancel(interaction, event_id, reason)

    event_cancel.autocomplete("event_id")(_upcoming_any)

    # ---- answers (buttons) -------------------------------------------------------------
    async def _check_member(self, interaction: discord.Interaction, event: NetworkEvent) -> None:
        if interaction.guild_id != event.guild_id:
            raise UserError("events.error_not_found")
        if not await is_member(self.bot, interaction.user):
            raise PermissionRefused("core.refused.member")

    async def _record(
        self,
        interaction: discord.Interaction,
        event_id: int,
        response: str,
        delegate_id: int | None,
    ) -> NetworkEvent:
        guild_id = interaction.guild_id
        if guild_id is None:
            raise PermissionRefused("core.refused.guild_only")
        # Refused before anything is read or written, and outside the transaction (the
        # check may open its own session: nested, it could starve the pool under load).
        if not await is_member(self.bot, interaction.user):
            raise PermissionRefused("core.refused.member")
        role_ids = [role.id for role in getattr(interaction.user, "roles", [])]
        now = self.bot.clock.now()
        args = (interaction, guild_id, event_id, response, delegate_id, role_ids, now)
        try:
            return await self._record_once(*args)
        except IntegrityError:
            # A double click: the other click inserted this member's answer first (unique
            # event + member); trying again finds that row and replaces it.
            return await self._record_once(*args)

    async def _record_once(
        self,
        interaction: discord.Interaction,
        guild_id: int,
        event_id: int,
        response: str,
        delegate_id: int | None,
        role_ids: list[int],
        now: datetime,
    ) -> NetworkEvent:
        try:
            async with self.bot.db.transaction() as session:
                event = await service.get_event(session, guild_id, event_id)  # same guild only
                structures = await service.member_structures(
                    session, guild_id, interaction.user.id, role_ids
                )
                await service.record_answer(
                    session,
                    event,
                    user_id=interaction.user.id,
                    response=response,
                    delegate_id=delegate_id,
                    structure_ids=structures,
                    now=now,
                )
                if delegate_id is not None:
                    names = await self._structure_names(session, guild_id, structures)
                    await service.schedule_dms(
                        session,
                        self.bot.scheduler,
                        event,
                        targets=[(delegate_id, {"by": interaction.user.id, "structures": names})],
                        template="delegate",
                        key=f"event:{event.id}:delegate:{interaction.user.id}:{int(now.timestamp())}",
                        now=now,
                    )
        except EventError as exc:
            raise _user_error(exc) from None
        return event

    async def _structure_names(
        self, session: Any, guild_id: int, ids: tuple[int, ...]
    ) -> list[str]:
        refs = {s.id: s.name for s in await service.structure_refs(session, guild_id)}
        return [refs[i] for i in ids if i in refs]

    async def handle_rsvp(
        self, interaction: discord.Interaction, event_id: int, answer: str
    ) -> None:
        locale = locale_of(interaction)
        if answer == "rep":
            async with self.bot.db.session() as session:
                try:
                    event = await service.get_event(session, interaction.guild_id or 0, event_id)
                except EventError as exc:
                    raise _user_error(exc) from None
            await self._check_member(interaction, event)  # after the session is released
            try:
                service.ensure_open(event, self.bot.clock.now())
            except EventError as exc:
                raise _user_error(exc) from None
            await interaction.response.send_message(
                t("events.delegate_prompt", locale, title=event.title),
                view=DelegateSelectView(event_id, locale),
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return
        event = await self._record(interaction, event_id, ANSWERS[answer], None)
        await interaction.response.send_message(
            t(f"events.answered_{answer}", locale, title=event.title),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )
        await self._refresh_announcement(event.guild_id, event_id)

    async def handle_delegate(
        self, interaction: discord.Interaction, event_id: int, delegate: discord.abc.User
    ) -> None:
        locale = locale_of(interaction)
        if delegate.bot:
            raise UserError("events.error_delegate_bot")
        if isinstance(interaction.guild, discord.Guild) and not isinstance(
            delegate, discord.Member
        ):
            raise UserError("events.error_delegate_not_member")
        event = await self._record(interaction, event_id, RsvpResponse.REPRESENTED, delegate.id)
        await interaction.response.edit_message(
            content=t(
                "events.answered_rep", locale, title=event.title, delegate=f"<@{delegate.id}>"
            ),
            view=None,
            allowed_mentions=NO_MENTIONS,
        )
        await self._refresh_announcement(event.guild_id, event_id)

    async def _ics_bytes(self, event: NetworkEvent, locale: str = "fr") -> bytes:
        entry = service.calendar_entry(
            event,
            kind_label=render.kind_label(event.kind, locale),
            description=render.ics_description(event, _jump_url(event), locale),
            location=render.ics_location(event, locale),
            url=event.video_url or _jump_url(event),
        )
        return build_calendar([entry], name=event.title, now=self.bot.clock.now())

    async def handle_ics(self, interaction: discord.Interaction, event_id: int) -> None:
        locale = locale_of(interaction)
        async with self.bot.db.session() as session:
            try:
                event = await service.get_event(session, interaction.guild_id or 0, event_id)
            except EventError as exc:
                raise _user_error(exc) from None
        await self._check_member(interaction, event)
        data = await self._ics_bytes(event, locale)
        await interaction.response.send_message(
            t("events.ics_ready", locale, title=event.title),
            file=discord.File(
                io.BytesIO(data), filename=ics_filename(event.title, event.starts_at)
            ),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    async def handle_dm_opt_out(self, interaction: discord.Interaction, guild_id: int) -> None:
        locale = locale_of(interaction)
        async with self.bot.db.transaction() as session:
            await service.set_dm_opt_out(
                session, guild_id, interaction.user.id, True, self.bot.clock.now()
            )
        await interaction.response.send_message(
            t("events.optout_done", locale),
            ephemeral=interaction.guild is not None,
            allowed_mentions=NO_MENTIONS,
        )

    # ---- member commands ----------------------------------------------------------------
    @events.command(name="liste", description="Les prochains événements du réseau")
    @member_only()
    async def event_list(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        locale = locale_of(interaction)
        quorum = await self._quorum_percent(interaction.guild_id)
        async with self.bot.db.session() as session:
            rows = await service.list_events(
                session,
                interaction.guild_id,
                now=self.bot.clock.now(),
                upcoming=True,
                include_cancelled=False,
                limit=15,
            )
            structures = await service.structure_refs(session, interaction.guild_id)
            lines = [
                render.list_line(
                    event,
                    await service.summary_of(session, event, quorum, structures),
                    locale,
                )
                for event in rows
            ]
        embed = discord.Embed(
            title=t("events.list_title", locale),
            description="\n".join(lines)[: render.DESCRIPTION_LIMIT]
            or t("events.list_empty", locale),
            colour=discord.Colour.dark_teal(),
        )
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @events.command(name="ics", description="Recevoir un événement au format agenda (.ics)")
    @app_commands.rename(event_id="evenement")
    @app_commands.describe(event_id="L'événement à ajouter à votre agenda")
    @member_only()
    async def event_ics(self, interaction: discord.Interaction, event_id: int) -> None:
        await self.handle_ics(interaction, event_id)

    event_ics.autocomplete("event_id")(_upcoming_any)

    @events.command(
        name="agenda", description="S'abonner à l'agenda du réseau (Outlook, Thunderbird, Google)"
    )
    @app_commands.rename(renew="renouveler")
    @app_commands.describe(
        renew="Coordinateurs : changer l'adresse (l'ancienne cesse de fonctionner)"
    )
    @member_only()
    async def event_feed(self, interaction: discord.Interaction, renew: bool = False) -> None:
        assert interaction.guild_id is not None
        locale = locale_of(interaction)
        if renew and not await is_coordinator(self.bot, interaction.user):
            raise PermissionRefused("core.refused.coordinator")
        async with self.bot.db.transaction() as session:
            if renew:
                token = await service.rotate_feed_token(
                    session, interaction.guild_id, interaction.user.id
                )
                await self.bot.audit(
                    interaction.guild_id,
                    actor_id=interaction.user.id,
                    action="events.feed_renew",
                    target="events.ics",
                    session=session,
                )
            else:
                token = await service.feed_token(
                    session, interaction.guild_id, create=True, by=interaction.user.id
                )
        url = self.bot.web.url(f"/g/{interaction.guild_id}/events.ics?token={token}")
        key = "events.feed_renewed" if renew else "events.feed_url"
        await interaction.response.send_message(
            t(key, locale, url=url), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @events.command(name="rappels", description="Recevoir ou non les rappels en message privé")
    @app_commands.rename(receive="recevoir")
    @app_commands.describe(
        receive="Oui pour recevoir les rappels en message privé, non pour les couper"
    )
    @member_only()
    async def event_dm_setting(self, interaction: discord.Interaction, receive: bool) -> None:
        assert interaction.guild_id is not None
        locale = locale_of(interaction)
        async with self.bot.db.transaction() as session:
            await service.set_dm_opt_out(
                session,
                interaction.guild_id,
                interaction.user.id,
                not receive,
                self.bot.clock.now(),
            )
        key = "events.optin_done" if receive else "events.optout_done"
        await interaction.response.send_message(
            t(key, locale), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    # ---- minutes and history -------------------------------------------------------------
    @copil.command(
        name="compte-rendu", description="Joindre le compte rendu d'un COPIL (coordinateurs)"
    )
    @app_commands.rename(event_id="evenement", file="fichier", summary="resume")
    @app_commands.describe(
        event_id="Le COPIL concerné",
        file="Le compte rendu (PDF, document texte…)",
        summary="Quelques lignes de résumé",
    )
    @coordinator_only()
    async def copil_minutes(
        self,
        interaction: discord.Interaction,
        event_id: int,
        file: discord.Attachment,
        summary: str | None = None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        locale = locale_of(interaction)
        now = self.bot.clock.now()
        async with self.bot.db.session() as session:
            try:
                event = await service.get_event(session, guild.id, event_id)
                service.check_minutes_allowed(event, now)
            except EventError as exc:
                raise _user_error(exc) from None
        if file.size > MAX_MINUTES_BYTES:
            raise UserError("events.error_file_too_big", limit=MAX_MINUTES_BYTES // (1024 * 1024))
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await file.read()
        title = t(
            "events.minutes_title",
            "fr",
            title=event.title,
            date=render.short_date(event.starts_at, "fr"),
        )
        quorum = await self._quorum_percent(guild.id)
        async with self.bot.db.transaction() as session:
            event = await service.get_event(session, guild.id, event_id)
            document = (
                await session.get(Document, event.minutes_document_id)
                if event.minutes_document_id
                else None
            )
            if document is not None:
                # Minutes filed again (a corrected version): same document, new version.
                await self.bot.documents.add_version(
                    document,
                    data=data,
                    filename=file.filename,
                    added_by=interaction.user.id,
                    note=summary or "",
                    mime_type=file.content_type,
                    session=session,
                )
            else:
                document = await self.bot.documents.add(
                    guild_id=guild.id,
                    title=title[:300],
                    data=data,
                    filename=file.filename,
                    category=render.kind_label(event.kind, "fr"),
                    tags=["compte-rendu", event.kind],
                    origin=DocumentOrigin.MINUTES,
                    owner_id=interaction.user.id,
                    description=summary or "",
                    mime_type=file.content_type,
                    session=session,
                )
            await service.attach_minutes(
                session, event, document_id=document.id, summary=summary or "", now=now
            )
            result = await service.summary_of(session, event, quorum)
            links = await service.referent_links(session, guild.id)
            version_count = len(document.versions)
            document_id = document.id
            await self.bot.audit(
                guild.id,
                actor_id=interaction.user.id,
                action="events.minutes",
                target=f"{event.kind}:{event.id} {event.title}",
                details={"document_id": document_id, "version": version_count},
                session=session,
            )
        # Attendees, then referents of structures that were not represented.
        absent_ids = {s.id for s in result.declined} | {s.id for s in result.unanswered}
        targets: list[tuple[int, dict[str, Any]]] = [
            (user_id, {"role": "attendee"}) for user_id in result.attendees
        ]
        for user_id, structure_id in links:
            if structure_id in absent_ids and all(u != user_id for u, _ in targets):
                targets.append((user_id, {"role": "absent"}))
        posted = await self._post_minutes(event, data, file.filename, summary, result)
        for _, params in targets:
            params["link"] = posted
        async with self.bot.db.transaction() as session:
            await service.schedule_dms(
                session,
                self.bot.scheduler,
                event,
                targets=targets,
                template="minutes",
                key=f"event:{event.id}:minutes:{document_id}:v{version_count}",
                now=now,
            )
        text = t(
            "events.minutes_done",
            locale,
            title=event.title,
            attendees=sum(1 for _, p in targets if p["role"] == "attendee"),
            absent=sum(1 for _, p in targets if p["role"] == "absent"),
        )
        if posted is None:
            text += "\n⚠️ " + t("events.warn_minutes_post", locale)
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def _post_minutes(
        self,
        event: NetworkEvent,
        data: bytes,
        filename: str,
        summary: str | None,
        result: Any,
    ) -> str | None:
        channel_id = event.channel_id or await self._events_channel_id(event.guild_id, None)
        channel = await self.bot.resolve_channel(channel_id) if channel_id else None
        if channel is None:
            return None
        text = t(
            "events.minutes_post",
            "fr",
            kind=render.kind_label(event.kind, "fr"),
            title=event.title,
            date=render.short_date(event.starts_at, "fr"),
            represented=result.represented_count,
            total=result.total,
            attendees=len(result.attendees),
        )
        if summary:
            text += "\n\n" + summary
        try:
            message = await channel.send(
                text[:2000],
                file=discord.File(io.BytesIO(data), filename=filename),
                allowed_mentions=NO_MENTIONS,
            )
        except discord.HTTPException as exc:
            log.warning("minutes of event %s not posted: %s", event.id, exc)
            return None
        return message.jump_url

    @copil.command(name="historique", description="Les COPIL passés et leur participation")
    @member_only()
    async def copil_history(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        locale = locale_of(interaction)
        quorum = await self._quorum_percent(interaction.guild_id)
        async with self.bot.db.session() as session:
            rows = await service.list_events(
                session,
                interaction.guild_id,
                now=self.bot.clock.now(),
                upcoming=False,
                kind=EventKind.COPIL,
                limit=20,
            )
            lines = [
                render.history_line(
                    event,
                    await service.summary_of(session, event, quorum),
                    event.minutes_document_id is not None,
                    locale,
                )
                for event in rows
            ]
        embed = discord.Embed(
            title=t("events.history_title", locale),
            description="\n".join(lines)[: render.DESCRIPTION_LIMIT]
            or t("events.history_empty", locale),
            colour=discord.Colour.dark_teal(),
        )
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    # ---- deliveries ---------------------------------------------------------------------
    async def deliver_reminder(
        self, bot: AiguillageBot, delivery: ScheduledDelivery
    ) -> dict[str, Any]:
        now = bot.clock.now()
        quorum = await self._quorum_percent(delivery.guild_id)
        async with bot.db.session() as session:
            work = await service.prepare_reminder(
                session,
                delivery.guild_id,
                delivery.payload,
                now=now,
                due_at=delivery.due_at,
                quorum_percent=quorum,
            )
        if work.decision not in (SendDecision.SEND, SendDecision.SEND_LATE):
            log.info(
                "events reminder not sent delivery=%s event=%s label=%s decision=%s late_by=%s",
                delivery.id,
                delivery.payload.get("event_id"),
                work.label,
                work.decision.value,
                now - delivery.due_at,
            )
            return {"decision": work.decision.value}
        event = work.event
        assert event is not None and work.summary is not None
        channel = await bot.resolve_channel(event.channel_id) if event.channel_id else None
        if channel is None:
            raise PermanentDeliveryError(
                "events.delivery_channel_missing", channel_id=event.channel_id
            )
        late_since = delivery.due_at if work.decision is SendDecision.SEND_LATE else None
        try:
            message = await channel.send(
                content=render.reminder_text(event, work.label, late_since),
                embed=render.announcement_embed(event, work.summary),
                view=announcement_view(event.id, open_for_answers=True),
                allowed_mentions=NO_MENTIONS,
                nonce=delivery.nonce,
            )
        except (discord.NotFound, discord.Forbidden) as exc:
            raise PermanentDeliveryError(
                "events.delivery_channel_missing", channel_id=event.channel_id
            ) from exc
        async with bot.db.transaction() as session:
            fresh = await service.get_event(session, event.guild_id, event.id)
            dms = await service.schedule_dms(
                session,
                bot.scheduler,
                fresh,
                targets=[
                    (user_id, {"label": work.label, "structures": names})
                    for user_id, names in work.dm_targets
                ],
                template="reminder",
                key=delivery.dedupe_key or f"event:{event.id}:reminder:{delivery.id}",
                now=now,
                grace=max(event.starts_at - now, timedelta(minutes=1)),
            )
        return {
            "decision": work.decision.value,
            "message_id": message.id,
            "dms": dms,
            "label": work.label,
        }

    async def deliver_close(
        self, bot: AiguillageBot, delivery: ScheduledDelivery
    ) -> dict[str, Any]:
        """At the start: the announcement drops its answer buttons (the .ics one stays)."""
        async with bot.db.session() as session:
            event = await session.get(NetworkEvent, int(delivery.payload["event_id"]))
        planned = datetime.fromisoformat(delivery.payload["planned_starts_at"])
        if event is None or event.cancelled or event.starts_at != planned:
            return {"skipped": "cancelled or moved"}
        await self._refresh_announcement(event.guild_id, event.id)
        return {"closed": event.id}

    async def deliver_dm(self, bot: AiguillageBot, delivery: ScheduledDelivery) -> dict[str, Any]:
        payload = delivery.payload
        user_id = int(payload["user_id"])
        template = payload["template"]
        params = payload.get("params") or {}
        now = bot.clock.now()
        async with bot.db.session() as session:
            event = await session.get(NetworkEvent, int(payload["event_id"]))
            opted_out = user_id in await service.opted_out_users(session, delivery.guild_id)
        if event is None:
            return {"skipped": "event deleted"}
        if template == "reminder" and (event.cancelled or now >= event.starts_at or opted_out):
            return {"skipped": "cancelled, started or opted out"}
        try:
            user = bot.get_user(user_id) or await bot.fetch_user(user_id)
        except discord.NotFound:
            return {"skipped": "unknown user"}
        kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS, "nonce": delivery.nonce}
        jump = _jump_url(event)
        if template == "reminder":
            kwargs["content"] = render.reminder_dm(
                event, ", ".join(params.get("structures", [])) or "—", jump, "fr"
            )
            kwargs["view"] = reminder_dm_view(event.guild_id, jump, "fr")
        elif template == "notice":
            kwargs["content"] = render.change_notice(
                event, params.get("change", "changed"), params.get("fields", []), "fr"
            )
            kwargs["file"] = discord.File(
                io.BytesIO(await self._ics_bytes(event)),
                filename=ics_filename(event.title, event.starts_at),
            )
        elif template == "delegate":
            structures = ", ".join(params.get("structures", []))
            kwargs["content"] = t(
                "events.delegate_dm" if structures else "events.delegate_dm_person",
                "fr",
                by=f"<@{params.get('by')}>",
                structures=structures,
                kind=render.kind_label(event.kind, "fr"),
                title=event.title,
                when=render.when(event.starts_at, "fr"),
                link=jump or "—",
            )
        elif template == "minutes":
            key = (
                "events.minutes_dm_absent"
                if params.get("role") == "absent"
                else "events.minutes_dm"
            )
            kwargs["content"] = t(
                key,
                "fr",
                kind=render.kind_label(event.kind, "fr"),
                title=event.title,
                date=render.short_date(event.starts_at, "fr"),
                link=params.get("link") or "—",
            )
        else:
            raise PermanentDeliveryError("core.delivery.unknown_kind", kind=f"events.dm:{template}")
        try:
            await user.send(**kwargs)
        except discord.Forbidden:
            # DMs closed: nothing to retry, the channel post reached them anyway.
            return {"dm": "closed"}
        return {"dm": "sent", "template": template}

    async def deliver_cadence(
        self, bot: AiguillageBot, delivery: ScheduledDelivery
    ) -> dict[str, Any]:
        payload = delivery.payload
        deadline = datetime.fromisoformat(payload["deadline"])
        if payload.get("planned_too_late"):
            key = "events.cadence_late"
        elif payload.get("overdue"):
            key = "events.cadence_overdue"
        elif payload.get("last"):
            key = "events.cadence_due"
        else:
            key = "events.cadence_first"
        text = t(
            key,
            "fr",
            last=render.short_date(datetime.fromisoformat(payload["last"]), "fr")
            if payload.get("last")
            else "—",
            deadline=render.short_date(deadline, "fr"),
            next=render.short_date(datetime.fromisoformat(payload["next"]), "fr")
            if payload.get("next")
            else "—",
            months=payload.get("months", DEFAULT_CADENCE_MONTHS),
        )
        notified = await bot.notify_coordinators(delivery.guild_id, text)
        return {"notified": notified}

    async def plan_cadence(self) -> None:
        """Daily: remind coordinators when no COPIL is planned within the horizon."""
        now = self.bot.clock.now()
        for guild in list(self.bot.guilds):
            months = await self._int_setting(
                guild.id, "events.cadence_months", DEFAULT_CADENCE_MONTHS
            )
            if months <= 0:
                continue  # cadence reminders switched off
            lead = await self._int_setting(
                guild.id, "events.cadence_lead_days", DEFAULT_CADENCE_LEAD_DAYS
            )
            async with self.bot.db.transaction() as session:
                starts = await service.copil_starts(session, guild.id)
                row = await session.get(Guild, guild.id)
                status = cadence_check(
                    starts,
                    now,
                    since=row.joined_at if row else None,
                    horizon_months=months,
                    lead_days=lead,
                )
                if not status.reminder_due or status.dedupe_key is None:
                    continue
                await self.bot.scheduler.schedule(
                    session,
                    guild_id=guild.id,
                    kind=service.CADENCE_KIND,
                    due_at=now,
                    payload={
                        "last": status.last.isoformat() if status.last else None,
                        "next": status.next.isoformat() if status.next else None,
                        "deadline": status.deadline.isoformat() if status.deadline else None,
                        "overdue": status.overdue,
                        "planned_too_late": status.planned_too_late,
                        "months": months,
                    },
                    dedupe_key=status.dedupe_key,
                    grace=timedelta(days=2),
                )

    # ---- calendar over the web -----------------------------------------------------------
    async def web_feed(self, request: web.Request) -> web.Response:
        guild_id, token = self._web_guild(request)
        now = self.bot.clock.now()
        async with self.bot.db.session() as session:
            if not await service.check_feed_token(session, guild_id, token):
                raise web.HTTPNotFound()
            rows = await service.feed_events(session, guild_id, now=now)
            row = await session.get(Guild, guild_id)
        name = t("events.feed_name", "fr", guild=(row.name if row and row.name else str(guild_id)))
        # Calendar clients poll; building VEVENTs costs about a millisecond each, so the
        # feed is rebuilt only when an event (or the guild's name) changed.
        fingerprint = (name, tuple((e.id, e.sequence, e.updated_at, e.message_id) for e in rows))
        cached = self._feed_cache.get(guild_id)
        if cached is not None and cached[0] == fingerprint:
            return self._ics_response(cached[1], "evenements.ics")
        entries = [
            service.calendar_entry(
                event,
                kind_label=render.kind_label(event.kind, "fr"),
                description=render.ics_description(event, _jump_url(event)),
                location=render.ics_location(event),
                url=event.video_url or _jump_url(event),
            )
            for event in rows
        ]
        body = build_calendar(entries, name=name, now=now, method=None)
        self._feed_cache[guild_id] = (fingerprint, body)
        return self._ics_response(body, "evenements.ics")

    async def web_event(self, request: web.Request) -> web.Response:
        guild_id, token = self._web_guild(request)
        try:
            event_id = int(request.match_info["event_id"])
        except ValueError:
            raise web.HTTPNotFound() from None
        async with self.bot.db.session() as session:
            if not await service.check_feed_token(session, guild_id, token):
                raise web.HTTPNotFound()
            try:
                event = await service.get_event(session, guild_id, event_id)
            except EventError:
                raise web.HTTPNotFound() from None
        body = await self._ics_bytes(event)
        return self._ics_response(body, ics_filename(event.title, event.starts_at))

    @staticmethod
    def _web_guild(request: web.Request) -> tuple[int, str]:
        try:
            guild_id = int(request.match_info["guild_id"])
        except ValueError:
            raise web.HTTPNotFound() from None
        token = request.query.get("token", "")
        if not token:
            raise web.HTTPNotFound()
        return guild_id, token

    @staticmethod
    def _ics_response(body: bytes, filename: str) -> web.Response:
        return web.Response(
            body=body,
            content_type="text/calendar",
            charset="utf-8",
            headers={
                "Content-Disposition": f'inline; filename="{filename}"',
                "Cache-Control": "private, max-age=300",
            },
        )
