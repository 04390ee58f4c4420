"""When things happen: reminder instants, their staleness after downtime, and the
semester cadence of COPILs. Pure functions on aware datetimes; no Discord, no database.

Reminder offsets are written as coordinators say them: ``J-7`` is seven calendar days
before, at the same wall-clock time in Europe/Paris (so a 14:00 COPIL is recalled at 14:00
even when a daylight-saving change lies in between); ``H-2`` is two elapsed hours before.
Instants are computed in Paris time and returned in UTC, which is how they are stored.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
DEFAULT_REMINDER_OFFSETS: tuple[str, ...] = ("J-14", "J-7", "J-1", "H-2")
DEFAULT_CADENCE_MONTHS = 6
# Two months is what it takes to book a room and gather partners for a COPIL.
DEFAULT_CADENCE_LEAD_DAYS = 60
DEFAULT_CADENCE_REPEAT_DAYS = 30
MAX_OFFSETS = 8
MAX_DAYS = 180
MAX_HOURS = 168

_OFFSET_RE = re.compile(r"^([JDH])\s*-?\s*(\d{1,3})$", re.IGNORECASE)


class TimingError(ValueError):
    """Bad input; ``key`` names the catalogue message, ``params`` fill it."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True, order=True)
class Offset:
    unit: str  # "J": calendar days at the same Paris wall-clock time; "H": elapsed hours
    amount: int

    @property
    def label(self) -> str:
        return f"{self.unit}-{self.amount}"

    def before(self, starts_at: datetime) -> datetime:
        """The reminder instant (UTC) for an event starting at ``starts_at``."""
        _require_aware(starts_at)
        if self.unit == "H":
            return (starts_at.astimezone(UTC) - timedelta(hours=self.amount)).astimezone(UTC)
        local = starts_at.astimezone(PARIS).replace(tzinfo=None) - timedelta(days=self.amount)
        return paris_to_utc(local)


def _require_aware(value: datetime) -> None:
    if value.tzinfo is None:
        raise ValueError("naive datetime: give an aware datetime (UTC or Europe/Paris)")


def paris_to_utc(local: datetime) -> datetime:
    """A naive Europe/Paris wall-clock time as an aware UTC instant.

    In the spring gap (02:00-03:00 on the last Sunday of March does not exist) the time is
    moved forward by the gap, as clocks are; in the autumn repeat (02:00-03:00 happens
    twice) the first occurrence is taken, so a reminder is never late.
    """
    if local.tzinfo is not None:
        raise ValueError("paris_to_utc expects a naive wall-clock time")
    # PEP 495: fold=0 reads a time in the gap with the offset from before the change (so it
    # lands after the gap) and a repeated time as its first occurrence: both as wanted.
    return local.replace(tzinfo=PARIS, fold=0).astimezone(UTC)


def parse_offsets(value: str | Iterable[str]) -> list[Offset]:
    """``"J-14, J-7, J-1, H-2"`` (or a list of such strings) as sorted, distinct offsets.

    Sorted from the furthest to the nearest; ``D-`` is accepted for English speakers.
    """
    if isinstance(value, str):
        parts = [p for p in re.split(r"[,;\s]+", value.strip()) if p]
    else:
        parts = [str(p).strip() for p in value if str(p).strip()]
    if not parts:
        raise TimingError("events.error_offsets_empty")
    offsets: set[Offset] = set()
    for part in parts:
        match = _OFFSET_RE.match(part)
        if not match:
            raise TimingError("events.error_offset_syntax", value=part)
        unit = "H" if match.group(1).upper() == "H" else "J"
        amount = int(match.group(2))
        limit = MAX_HOURS if unit == "H" else MAX_DAYS
        if not 1 <= amount <= limit:
            raise TimingError("events.error_offset_range", value=part, limit=limit)
        offsets.add(Offset(unit, amount))
    if len(offsets) > MAX_OFFSETS:
        raise TimingError("events.error_offsets_too_many", limit=MAX_OFFSETS)
    reference = datetime(2030, 1, 1, 12, tzinfo=UTC)
    return sorted(offsets, key=lambda o: o.before(reference))


@dataclass(frozen=True)
class PlannedReminder:
    label: str
    due_at: datetime  # UTC
    # How long after ``due_at`` the reminder is still worth sending: until the next
    # reminder (which supersedes it) or the start of the event.
    grace: timedelta


def plan_reminders(
    starts_at: datetime, offsets: Sequence[Offset], now: datetime
) -> list[PlannedReminder]:
    """Reminders still to come for an event, soonest first.

    Instants already past are left out: the announcement (or the edit notice) told
    everyone at ``now``. Two offsets falling on the same instant give one reminder.
    """
    _require_aware(starts_at)
    _require_aware(now)
    start = starts_at.astimezone(UTC)
    by_instant: dict[datetime, str] = {}
    for offset in offsets:
        due = offset.before(start)
        if now < due < start:
            by_instant.setdefault(due, offset.label)
    instants = sorted(by_instant)
    planned = []
    for index, due in enumerate(instants):
        until = instants[index + 1] if index + 1 < len(instants) else start
        planned.append(PlannedReminder(by_instant[due], due, until - due))
    return planned


def reminder_dedupe_key(event_id: int, label: str, plan: int) -> str:
    """One delivery per event, plan and offset. ``plan`` is the event's SEQUENCE: each edit
    that re-plans gets fresh keys (even when moving back to an earlier date, whose old
    deliveries stay cancelled), while re-planning an unchanged event reuses its rows."""
    return f"event:{event_id}:reminder:s{plan}:{label}"


class SendDecision(StrEnum):
    SEND = "send"
    SEND_LATE = "send_late"  # the bot was down at the due time, the reminder still helps
    SKIP_STALE = "skip_stale"  # a later reminder (or the event) has superseded it
    SKIP_STARTED = "skip_started"
    SKIP_CANCELLED = "skip_cancelled"
    SKIP_MOVED = "skip_moved"  # the event was moved after this reminder was planned


# A reminder sent within this delay of its instant is on time (dispatch latency).
ON_TIME_TOLERANCE = timedelta(minutes=5)


def decide_send(
    *,
    now: datetime,
    due_at: datetime,
    grace: timedelta,
    starts_at: datetime,
    planned_starts_at: datetime,
    cancelled: bool,
) -> SendDecision:
    """What to do with a reminder when its delivery runs (possibly late, after a restart)."""
    if cancelled:
        return SendDecision.SKIP_CANCELLED
    if starts_at != planned_starts_at:
        return SendDecision.SKIP_MOVED
    if now >= starts_at:
        return SendDecision.SKIP_STARTED
    lateness = now - due_at
    if lateness > grace:
        return SendDecision.SKIP_STALE
    if lateness > ON_TIME_TOLERANCE:
        return SendDecision.SEND_LATE
    return SendDecision.SEND


def add_months(moment: datetime, months: int) -> datetime:
    """Same Paris wall-clock time ``months`` later; the day is clamped (31 Aug + 6 → 28/29 Feb)."""
    local = moment.astimezone(PARIS).replace(tzinfo=None)
    month_index = local.month - 1 + months
    year = local.year + month_index // 12
    month = month_index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return paris_to_utc(local.replace(year=year, month=month, day=day))


@dataclass(frozen=True)
class CadenceStatus:
    reminder_due: bool
    last: datetime | None
    next: datetime | None
    deadline: datetime | None  # last COPIL + horizon
    overdue: bool = False  # the deadline has passed with nothing planned
    planned_too_late: bool = False  # a COPIL is planned, but after the deadline
    dedupe_key: str | None = None  # one coordinator reminder per key


def cadence_check(
    copil_starts: Iterable[datetime],
    now: datetime,
    *,
    since: datetime | None = None,
    horizon_months: int = DEFAULT_CADENCE_MONTHS,
    lead_days: int = DEFAULT_CADENCE_LEAD_DAYS,
    repeat_days: int = DEFAULT_CADENCE_REPEAT_DAYS,
) -> CadenceStatus:
    """Should coordinators be reminded to plan the next COPIL?

    ``copil_starts`` are the starts of the guild's COPILs that are not cancelled. The next
    COPIL is due ``horizon_months`` after the last one (or after ``since``, when the network
    started using the bot, if it never had one); coordinators are reminded from
    ``lead_days`` before that deadline, then every ``repeat_days`` while nothing is
    planned (the dedupe key changes each period, so the reminder is sent once per period).
    """
    _require_aware(now)
    starts = sorted(s.astimezone(UTC) for s in copil_starts)
    past = [s for s in starts if s <= now]
    future = [s for s in starts if s > now]
    last = past[-1] if past else None
    upcoming = future[0] if future else None
    anchor = last or since
    if anchor is None:
        return CadenceStatus(False, None, upcoming, None)
    deadline = add_months(anchor, horizon_months)
    stamp = f"{int(last.timestamp())}" if last else "never"
    if upcoming is not None and upcoming <= deadline:
        return CadenceStatus(False, last, upcoming, deadline)
    window_start = deadline - timedelta(days=lead_days)
    if now < window_start:
        return CadenceStatus(False, last, upcoming, deadline)
    if upcoming is not None:
        # Planned, only too late: say it once, not every month.
        return CadenceStatus(
            True,
            last,
            upcoming,
            deadline,
            planned_too_late=True,
            dedupe_key=f"events:cadence:{stamp}:late:{int(upcoming.timestamp())}",
        )
    period = (now - window_start).days // repeat_days
    return CadenceStatus(
        True,
        last,
        None,
        deadline,
        overdue=now > deadline,
        dedupe_key=f"events:cadence:{stamp}:{period}",
    )
