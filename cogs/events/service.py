"""Events in the database: plan, edit, cancel, answer, remind, feed. No Discord here.

Every function takes the caller's session (the cog opens ``bot.db.transaction()``) and an
explicit ``now`` from the injectable clock, so tests drive time. Reminders go through the
runtime's scheduled deliveries (anything with ``schedule`` / ``cancel`` as in
``bot.scheduler``), one idempotent delivery per event, offset and start instant.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.events import rsvp as rsvp_logic
from cogs.events.ical import CalendarEntry
from cogs.events.rsvp import Answer, QuorumSummary, RsvpError, StructureRef
from cogs.events.timing import (
    DEFAULT_REMINDER_OFFSETS,
    SendDecision,
    TimingError,
    decide_send,
    parse_offsets,
    plan_reminders,
    reminder_dedupe_key,
)
from db.models.events import (
    EventDmOptOut,
    EventFeed,
    EventKind,
    EventRsvp,
    EventStatus,
    NetworkEvent,
    RsvpResponse,
)
from db.models.structures import Referent, Structure

REMINDER_KIND = "events.reminder"
CADENCE_KIND = "events.cadence"
DM_KIND = "events.dm"
CLOSE_KIND = "events.close"
TITLE_MAX = 100  # Discord scheduled-event names are limited to 100 characters
AGENDA_MAX = 1000  # Discord scheduled-event descriptions are limited to 1000 characters
LOCATION_MAX = 100  # Discord external-event locations are limited to 100 characters


class EventError(ValueError):
    """Refused input or action; ``key`` names the catalogue message."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class Scheduling(Protocol):
    async def schedule(
        self,
        session: AsyncSession,
        *,
        guild_id: int,
        kind: str,
        due_at: datetime,
        payload: dict[str, Any],
        dedupe_key: str | None = None,
        grace: timedelta | None = None,
        created_by: int | None = None,
    ) -> Any: ...

    async def cancel(
        self, session: AsyncSession, guild_id: int, *, dedupe_prefix: str | None = None
    ) -> Any: ...


@dataclass
class EventDraft:
    """What a coordinator asked for, checked before anything is written."""

    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    agenda: str = ""
    location: str | None = None
    video_url: str | None = None
    voice_channel_id: int | None = None
    offsets: list[str] = field(default_factory=lambda: list(DEFAULT_REMINDER_OFFSETS))

    def check(self, now: datetime) -> None:
        if self.kind not in EventKind.ALL:
            raise EventError("events.error_kind")
        self.title = self.title.strip()
        if not self.title or len(self.title) > TITLE_MAX:
            raise EventError("events.error_title", limit=TITLE_MAX)
        if len(self.agenda) > AGENDA_MAX:
            raise EventError("events.error_agenda_long", limit=AGENDA_MAX)
        if self.location is not None:
            self.location = self.location.strip() or None
        if self.location and len(self.location) > LOCATION_MAX:
            raise EventError("events.error_location_long", limit=LOCATION_MAX)
        if self.starts_at <= now:
            raise EventError("events.error_in_past")
        if self.ends_at <= self.starts_at:
            raise EventError("events.error_duration_order")
        if not (self.location or self.video_url or self.voice_channel_id):
            raise EventError("events.error_where")
        try:
            self.offsets = [o.label for o in parse_offsets(self.offsets)]
        except TimingError as exc:
            raise EventError(exc.key, **exc.params) from None


def ensure_open(event: NetworkEvent, now: datetime) -> None:
    """Answers and changes are for events still ahead."""
    if event.cancelled:
        raise EventError("events.error_cancelled")
    if event.starts_at <= now:
        raise EventError("events.error_started")


def new_uid(guild_id: int) -> str:
    return f"{uuid.uuid4().hex}-{guild_id}@aiguillage"


async def create_event(
    session: AsyncSession,
    scheduler: Scheduling | None,
    *,
    guild_id: int,
    draft: EventDraft,
    created_by: int | None,
    channel_id: int | None,
    now: datetime,
) -> NetworkEvent:
    draft.check(now)
    event = NetworkEvent(
        guild_id=guild_id,
        uid=new_uid(guild_id),
        kind=draft.kind,
        title=draft.title,
        agenda=draft.agenda.strip(),
        starts_at=draft.starts_at,
        ends_at=draft.ends_at,
        location=draft.location,
        video_url=draft.video_url,
        voice_channel_id=draft.voice_channel_id,
        status=EventStatus.SCHEDULED,
        sequence=0,
        reminder_offsets=draft.offsets,
        channel_id=channel_id,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    session.add(event)
    await session.flush()
    if scheduler is not None:
        await schedule_reminders(session, scheduler, event, now)
    return event


async def get_event(session: AsyncSession, guild_id: int, event_id: int) -> NetworkEvent:
    event = await session.get(NetworkEvent, event_id)
    if event is None or event.guild_id != guild_id:
        raise EventError("events.error_not_found")
    return event


async def event_by_uid(session: AsyncSession, guild_id: int, uid: str) -> NetworkEvent | None:
    event = (
        await session.execute(select(NetworkEvent).where(NetworkEvent.uid == uid))
    ).scalar_one_or_none()
    return event if event is not None and event.guild_id == guild_id else None


async def schedule_reminders(
    session: AsyncSession, scheduler: Scheduling, event: NetworkEvent, now: datetime
) -> list[str]:
    """Schedule the event's future reminders; returns their dedupe keys."""
    offsets = parse_offsets(event.reminder_offsets)
    keys = []
    for reminder in plan_reminders(event.starts_at, offsets, now):
        key = reminder_dedupe_key(event.id, reminder.label, event.sequence)
        await scheduler.schedule(
            session,
            guild_id=event.guild_id,
            kind=REMINDER_KIND,
            due_at=reminder.due_at,
            payload={
                "event_id": event.id,
                "label": reminder.label,
                "planned_starts_at": event.starts_at.astimezone(UTC).isoformat(),
                "grace_seconds": int(reminder.grace.total_seconds()),
            },
            dedupe_key=key,
            grace=reminder.grace,
            created_by=event.created_by,
        )
        keys.append(key)
    # At the start the announcement closes its answers (under the same prefix, so moving or
    # cancelling the event cancels it with the reminders).
    close_key = f"{reminder_prefix(event.id)}s{event.sequence}:close"
    await scheduler.schedule(
        session,
        guild_id=event.guild_id,
        kind=CLOSE_KIND,
        due_at=event.starts_at,
        payload={
            "event_id": event.id,
            "planned_starts_at": event.starts_at.astimezone(UTC).isoformat(),
        },
        dedupe_key=close_key,
        grace=max(event.ends_at - event.starts_at, timedelta(hours=1)) + timedelta(days=7),
    )
    keys.append(close_key)
    return keys


def reminder_prefix(event_id: int) -> str:
    return f"event:{event_id}:reminder:"


async def cancel_reminders(
    session: AsyncSession, scheduler: Scheduling, event: NetworkEvent
) -> None:
    """Cancel every pending reminder of the event (before re-planning or on cancel)."""
    await scheduler.cancel(session, event.guild_id, dedupe_prefix=reminder_prefix(event.id))


@dataclass
class EventChanges:
    fields: list[str]
    moved: bool  # the start changed: reminders were re-planned

    def __bool__(self) -> bool:
        return bool(self.fields)


async def update_event(
    session: AsyncSession,
    scheduler: Scheduling | None,
    event: NetworkEvent,
    *,
    now: datetime,
    title: str | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    agenda: str | None = None,
    location: str | None = None,
    video_url: str | None = None,
    voice_channel_id: int | None = None,
    offsets: list[str] | None = None,
) -> EventChanges:
    """Apply the given changes (None = unchanged). Moving the start keeps the duration
    unless a new end is given. SEQUENCE goes up so calendars replace their copy."""
    ensure_open(event, now)
    new_start = starts_at or event.starts_at
    new_end = ends_at or (new_start + (event.ends_at - event.starts_at))
    draft = EventDraft(
        kind=event.kind,
        title=title if title is not None else event.title,
        starts_at=new_start,
        ends_at=new_end,
        agenda=agenda if agenda is not None else event.agenda,
        location=location if location is not None else event.location,
        video_url=video_url if video_url is not None else event.video_url,
        voice_channel_id=voice_channel_id
        if voice_channel_id is not None
        else event.voice_channel_id,
        offsets=offsets if offsets is not None else list(event.reminder_offsets),
    )
    draft.check(now)
    changed = [
        name
        for name, old, new in (
            ("title", event.title, draft.title),
            ("starts_at", event.starts_at, draft.starts_at),
            ("ends_at", event.ends_at, draft.ends_at),
            ("agenda", event.agenda, draft.agenda.strip()),
            ("location", event.location, draft.location),
            ("video_url", event.video_url, draft.video_url),
            ("voice_channel_id", event.voice_channel_id, draft.voice_channel_id),
            ("reminder_offsets", list(event.reminder_offsets), draft.offsets),
        )
        if old != new
    ]
    if not changed:
        return EventChanges([], moved=False)
    replan = "starts_at" in changed or "reminder_offsets" in changed
    if scheduler is not None and replan:
        await cancel_reminders(session, scheduler, event)
    event.title = draft.title
    event.starts_at = draft.starts_at
    event.ends_at = draft.ends_at
    event.agenda = draft.agenda.strip()
    event.location = draft.location
    event.video_url = draft.video_url
    event.voice_channel_id = draft.voice_channel_id
    event.reminder_offsets = draft.offsets
    event.sequence += 1
    event.updated_at = now
    await session.flush()
    if scheduler is not None and replan:
        await schedule_reminders(session, scheduler, event, now)
    return EventChanges(changed, moved="starts_at" in changed)


async def cancel_event(
    session: AsyncSession,
    scheduler: Scheduling | None,
    event: NetworkEvent,
    *,
    by: int | None,
    reason: str,
    now: datetime,
) -> None:
    ensure_open(event, now)
    if scheduler is not None:
        await cancel_reminders(session, scheduler, event)
    event.status = EventStatus.CANCELLED
    event.cancelled_at = now
    event.cancelled_by = by
    event.cancel_reason = reason.strip()
    event.sequence += 1
    event.updated_at = now
    await session.flush()


async def record_answer(
    session: AsyncSession,
    event: NetworkEvent,
    *,
    user_id: int,
    response: str,
    delegate_id: int | None,
    structure_ids: Sequence[int],
    now: datetime,
) -> EventRsvp:
    """Store (or replace) a member's answer; refused once the event is cancelled or begun."""
    ensure_open(event, now)
    try:
        rsvp_logic.validate_answer(user_id, response, delegate_id)
    except RsvpError as exc:
        raise EventError(exc.key, **exc.params) from None
    existing = (
        await session.execute(
            select(EventRsvp).where(EventRsvp.event_id == event.id, EventRsvp.user_id == user_id)
        )
    ).scalar_one_or_none()
    if existing is None:
        existing = EventRsvp(guild_id=event.guild_id, event_id=event.id, user_id=user_id)
        session.add(existing)
    existing.response = response
    existing.delegate_id = delegate_id if response == RsvpResponse.REPRESENTED else None
    existing.structure_ids = sorted(set(structure_ids))
    existing.responded_at = now
    await session.flush()
    return existing


async def answers_of(session: AsyncSession, event_id: int) -> list[Answer]:
    rows = (
        await session.execute(
            select(EventRsvp)
            .where(EventRsvp.event_id == event_id)
            .order_by(EventRsvp.responded_at, EventRsvp.id)
        )
    ).scalars()
    return [
        Answer(r.user_id, r.response, r.delegate_id, tuple(r.structure_ids or ())) for r in rows
    ]


async def structure_refs(session: AsyncSession, guild_id: int) -> list[StructureRef]:
    """The network's structures, those the quorum counts: not archived, and with someone
    to answer for them (an active referent, or a Discord role its members hold). A
    directory imported for orientation (data·inclusion, a whole department) lists
    thousands of places nobody on the server represents; counting them would make the
    quorum unreachable and every answer sort thousands of names."""
    represented = select(Referent.structure_id).where(
        Referent.guild_id == guild_id, Referent.active.is_(True)
    )
    rows = (
        await session.execute(
            select(Structure.id, Structure.nom, Structure.short_name).where(
                Structure.guild_id == guild_id,
                Structure.archived_at.is_(None),
                or_(Structure.discord_role_id.is_not(None), Structure.id.in_(represented)),
            )
        )
    ).all()
    return [StructureRef(row.id, row.short_name or row.nom) for row in rows]


async def referent_links(session: AsyncSession, guild_id: int) -> list[tuple[int, int]]:
    """(user id, structure id) of active referents of non-archived structures."""
    rows = (
        await session.execute(
            select(Referent.user_id, Referent.structure_id)
            .join(Structure, Structure.id == Referent.structure_id)
            .where(
                Referent.guild_id == guild_id,
                Referent.active.is_(True),
                Structure.archived_at.is_(None),
            )
            .order_by(Referent.structure_id, Referent.id)
        )
    ).all()
    return [(row.user_id, row.structure_id) for row in rows]


async def member_structures(
    session: AsyncSession, guild_id: int, user_id: int, role_ids: Sequence[int] = ()
) -> tuple[int, ...]:
    """The structures this member belongs to (``rsvp.structures_of``'s rule), read for
    this member only: every COPIL answer runs it, and the directory may hold thousands."""
    as_referent = select(Referent.structure_id).where(
        Referent.guild_id == guild_id,
        Referent.user_id == user_id,
        Referent.active.is_(True),
    )
    belongs = Structure.id.in_(as_referent)
    if role_ids:
        belongs = or_(belongs, Structure.discord_role_id.in_(list(role_ids)))
    rows = await session.scalars(
        select(Structure.id).where(
            Structure.guild_id == guild_id, Structure.archived_at.is_(None), belongs
        )
    )
    return tuple(sorted(set(rows)))


async def summary_of(
    session: AsyncSession,
    event: NetworkEvent,
    quorum_percent: int,
    structures: list[StructureRef] | None = None,
) -> QuorumSummary:
    """``structures``: the guild's, when the caller already has them (one read for a
    list of events instead of one per event: the directory may hold thousands)."""
    return rsvp_logic.summarize(
        structures if structures is not None else await structure_refs(session, event.guild_id),
        await answers_of(session, event.id),
        quorum_percent,
    )


async def list_events(
    session: AsyncSession,
    guild_id: int,
    *,
    now: datetime,
    upcoming: bool,
    kind: str | None = None,
    include_cancelled: bool = True,
    limit: int = 25,
) -> list[NetworkEvent]:
    """Upcoming events (soonest first, not yet over) or past ones (latest first)."""
    query = select(NetworkEvent).where(NetworkEvent.guild_id == guild_id)
    if kind:
        query = query.where(NetworkEvent.kind == kind)
    if not include_cancelled:
        query = query.where(NetworkEvent.status != EventStatus.CANCELLED)
    if upcoming:
        query = query.where(NetworkEvent.ends_at > now).order_by(NetworkEvent.starts_at)
    else:
        query = query.where(NetworkEvent.ends_at <= now).order_by(NetworkEvent.starts_at.desc())
    return list((await session.execute(query.limit(limit))).scalars())


async def copil_starts(session: AsyncSession, guild_id: int) -> list[datetime]:
    rows = await session.execute(
        select(NetworkEvent.starts_at).where(
            NetworkEvent.guild_id == guild_id,
            NetworkEvent.kind == EventKind.COPIL,
            NetworkEvent.status != EventStatus.CANCELLED,
        )
    )
    return list(rows.scalars())


async def guilds_with_events(session: AsyncSession) -> list[int]:
    return list((await session.execute(select(NetworkEvent.guild_id).distinct())).scalars())


# --- reminder DMs opt-out -------------------------------------------------------------------


async def set_dm_opt_out(
    session: AsyncSession, guild_id: int, user_id: int, opted_out: bool, now: datetime
) -> bool:
    """Returns whether anything changed."""
    existing = (
        await session.execute(
            select(EventDmOptOut).where(
                EventDmOptOut.guild_id == guild_id, EventDmOptOut.user_id == user_id
            )
        )
    ).scalar_one_or_none()
    if opted_out and existing is None:
        session.add(EventDmOptOut(guild_id=guild_id, user_id=user_id, opted_out_at=now))
        await session.flush()
        return True
    if not opted_out and existing is not None:
        await session.delete(existing)
        await session.flush()
        return True
    return False


async def opted_out_users(session: AsyncSession, guild_id: int) -> set[int]:
    rows = await session.execute(
        select(EventDmOptOut.user_id).where(EventDmOptOut.guild_id == guild_id)
    )
    return set(rows.scalars())


# --- reminders at send time -----------------------------------------------------------------


@dataclass
class ReminderWork:
    decision: SendDecision
    event: NetworkEvent | None
    summary: QuorumSummary | None = None
    # Referents to remind by DM, each with the names of their structures still silent.
    dm_targets: list[tuple[int, list[str]]] = field(default_factory=list)
    label: str = ""


async def prepare_reminder(
    session: AsyncSession,
    guild_id: int,
    payload: dict[str, Any],
    *,
    now: datetime,
    due_at: datetime,
    quorum_percent: int,
) -> ReminderWork:
    """Decide, at send time, whether a reminder still goes out and to whom: referents of
    structures that have not answered by now, minus those who opted out."""
    event = await session.get(NetworkEvent, int(payload["event_id"]))
    if event is None or event.guild_id != guild_id:
        return ReminderWork(SendDecision.SKIP_CANCELLED, None)
    decision = decide_send(
        now=now,
        due_at=due_at,
        grace=timedelta(seconds=int(payload.get("grace_seconds", 0))),
        starts_at=event.starts_at,
        planned_starts_at=datetime.fromisoformat(payload["planned_starts_at"]),
        cancelled=event.cancelled,
    )
    work = ReminderWork(decision, event, label=str(payload.get("label", "")))
    if decision not in (SendDecision.SEND, SendDecision.SEND_LATE):
        return work
    work.summary = await summary_of(session, event, quorum_percent)
    links = await referent_links(session, guild_id)
    users = rsvp_logic.referents_to_remind(
        links, work.summary, await opted_out_users(session, guild_id)
    )
    silent = {s.id: s.name for s in work.summary.unanswered}
    work.dm_targets = [
        (user_id, [silent[sid] for uid, sid in links if uid == user_id and sid in silent])
        for user_id in users
    ]
    return work


async def schedule_dms(
    session: AsyncSession,
    scheduler: Scheduling,
    event: NetworkEvent,
    *,
    targets: Sequence[tuple[int, dict[str, Any]]],
    template: str,
    key: str,
    now: datetime,
    grace: timedelta = timedelta(days=2),
) -> int:
    """One DM delivery per person (exactly once each, retried on its own); ``key`` names
    the occasion and must start with the event's prefix so cancelling the event stops them."""
    for user_id, params in targets:
        await scheduler.schedule(
            session,
            guild_id=event.guild_id,
            kind=DM_KIND,
            due_at=now,
            payload={
                "event_id": event.id,
                "user_id": user_id,
                "template": template,
                "params": params,
            },
            dedupe_key=f"{key}:dm:{user_id}",
            grace=grace,
        )
    return len(targets)


def event_prefix(event_id: int) -> str:
    return f"event:{event_id}:"


# --- minutes --------------------------------------------------------------------------------


async def attach_minutes(
    session: AsyncSession, event: NetworkEvent, *, document_id: int, summary: str, now: datetime
) -> None:
    if event.cancelled:
        raise EventError("events.error_cancelled")
    event.minutes_document_id = document_id
    event.minutes_summary = summary.strip()
    event.minutes_posted_at = now
    await session.flush()


def check_minutes_allowed(event: NetworkEvent, now: datetime) -> None:
    if event.cancelled:
        raise EventError("events.error_cancelled")
    if event.starts_at > now:
        raise EventError("events.error_minutes_before")


# --- calendar feed --------------------------------------------------------------------------


async def feed_token(
    session: AsyncSession, guild_id: int, *, create: bool, by: int | None = None
) -> str | None:
    row = (
        await session.execute(select(EventFeed).where(EventFeed.guild_id == guild_id))
    ).scalar_one_or_none()
    if row is None and create:
        row = EventFeed(guild_id=guild_id, token=secrets.token_urlsafe(24), created_by=by)
        session.add(row)
        await session.flush()
    return row.token if row else None


async def rotate_feed_token(session: AsyncSession, guild_id: int, by: int | None) -> str:
    await session.execute(delete(EventFeed).where(EventFeed.guild_id == guild_id))
    token = await feed_token(session, guild_id, create=True, by=by)
    assert token is not None
    return token


async def check_feed_token(session: AsyncSession, guild_id: int, token: str) -> bool:
    expected = await feed_token(session, guild_id, create=False)
    return expected is not None and hmac.compare_digest(expected.encode(), token.encode())


async def feed_events(
    session: AsyncSession, guild_id: int, *, now: datetime, past_days: int = 400
) -> list[NetworkEvent]:
    """What the guild's feed publishes: the last ``past_days`` and everything ahead,
    cancelled events included so subscribed calendars drop them."""
    rows = await session.execute(
        select(NetworkEvent)
        .where(
            NetworkEvent.guild_id == guild_id,
            NetworkEvent.starts_at >= now - timedelta(days=past_days),
        )
        .order_by(NetworkEvent.starts_at)
    )
    return list(rows.scalars())


def calendar_entry(
    event: NetworkEvent,
    *,
    kind_label: str,
    description: str,
    location: str | None,
    url: str | None,
) -> CalendarEntry:
    return CalendarEntry(
        uid=event.uid,
        title=event.title,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        description=description,
        location=location,
        url=url,
        cancelled=event.cancelled,
        sequence=event.sequence,
        created_at=event.created_at,
        updated_at=event.updated_at,
        categories=(kind_label,),
    )
