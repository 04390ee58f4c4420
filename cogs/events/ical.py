"""iCalendar (RFC 5545) for one event or a guild's feed, with the ``icalendar`` library.

Times are written in Europe/Paris (``DTSTART;TZID=Europe/Paris``) with a VTIMEZONE built
from the EU daylight-saving rule (RRULE), the form Outlook, Thunderbird and Google all
read; clients then show the meeting at the right local time whatever their own zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vDuration
from unidecode import unidecode

from cogs.events.timing import PARIS

PRODID = "-//Aiguillage//Evenements du reseau//FR"
TZID = "Europe/Paris"
# How often subscribed clients should fetch the feed again (Outlook and Apple read these).
REFRESH_INTERVAL = timedelta(hours=6)


@dataclass(frozen=True)
class CalendarEntry:
    uid: str
    title: str
    starts_at: datetime
    ends_at: datetime
    description: str = ""
    location: str | None = None
    url: str | None = None
    cancelled: bool = False
    sequence: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    categories: tuple[str, ...] = ()


def paris_vtimezone() -> Timezone:
    """VTIMEZONE for Europe/Paris with the EU rule: last Sunday of March 02:00 → CEST,
    last Sunday of October 03:00 → CET."""
    timezone = Timezone()
    timezone.add("TZID", TZID)
    timezone.add("X-LIC-LOCATION", TZID)

    daylight = TimezoneDaylight()
    daylight.add("TZNAME", "CEST")
    daylight.add("TZOFFSETFROM", timedelta(hours=1))
    daylight.add("TZOFFSETTO", timedelta(hours=2))
    daylight.add("DTSTART", datetime(1981, 3, 29, 2, 0, 0))
    daylight.add("RRULE", {"FREQ": "YEARLY", "BYMONTH": 3, "BYDAY": "-1SU"})

    standard = TimezoneStandard()
    standard.add("TZNAME", "CET")
    standard.add("TZOFFSETFROM", timedelta(hours=2))
    standard.add("TZOFFSETTO", timedelta(hours=1))
    standard.add("DTSTART", datetime(1996, 10, 27, 3, 0, 0))
    standard.add("RRULE", {"FREQ": "YEARLY", "BYMONTH": 10, "BYDAY": "-1SU"})

    timezone.add_component(daylight)
    timezone.add_component(standard)
    return timezone


def _vevent(entry: CalendarEntry, stamp: datetime) -> Event:
    event = Event()
    event.add("UID", entry.uid)
    event.add("DTSTAMP", stamp.astimezone(UTC))
    event.add("DTSTART", entry.starts_at.astimezone(PARIS))
    event.add("DTEND", entry.ends_at.astimezone(PARIS))
    event.add("SUMMARY", entry.title)
    event.add("SEQUENCE", entry.sequence)
    event.add("STATUS", "CANCELLED" if entry.cancelled else "CONFIRMED")
    event.add("TRANSP", "OPAQUE")
    if entry.description:
        event.add("DESCRIPTION", entry.description)
    if entry.location:
        event.add("LOCATION", entry.location)
    if entry.url:
        event.add("URL", entry.url)
    if entry.created_at:
        event.add("CREATED", entry.created_at.astimezone(UTC))
    if entry.updated_at:
        event.add("LAST-MODIFIED", entry.updated_at.astimezone(UTC))
    if entry.categories:
        event.add("CATEGORIES", list(entry.categories))
    return event


def build_calendar(
    entries: Iterable[CalendarEntry],
    *,
    name: str,
    now: datetime,
    method: str | None = "PUBLISH",
) -> bytes:
    """A VCALENDAR with one VEVENT per entry (cancelled ones included, so that subscribed
    calendars remove them) and the Europe/Paris VTIMEZONE."""
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    if method:
        calendar.add("METHOD", method)
    calendar.add("X-WR-CALNAME", name)
    calendar.add("NAME", name)
    calendar.add("X-WR-TIMEZONE", TZID)
    calendar.add("REFRESH-INTERVAL", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH_INTERVAL))
    calendar.add_component(paris_vtimezone())
    for entry in entries:
        # RFC 5545 3.8.7.2: without METHOD (a subscribed feed) DTSTAMP is the last revision
        # of the event, which also keeps the feed identical while nothing changes.
        stamp = now if method or entry.updated_at is None else entry.updated_at
        calendar.add_component(_vevent(entry, stamp))
    return calendar.to_ical()


def ics_filename(title: str, starts_at: datetime) -> str:
    """``copil-2027-03-12.ics``: ASCII, no spaces, safe as an attachment name."""
    slug = "".join(
        c if c.isalnum() else "-" for c in unidecode(title.replace("°", " ")).lower()
    ).strip("-")
    while "--" in slug:
        slug = slug.replace("--", "-")
    day = starts_at.astimezone(PARIS).date().isoformat()
    return f"{(slug or 'evenement')[:40].strip('-')}-{day}.ics"
