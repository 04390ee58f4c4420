"""Reading what coordinators type: dates, times and durations the French way
("12/03/2027", "12 mars", "14h30", "1h30"), and links. No Discord here."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from urllib.parse import urlparse

from unidecode import unidecode

from cogs.events.timing import PARIS, TimingError, paris_to_utc

MONTHS = {
    "janvier": 1,
    "janv": 1,
    "jan": 1,
    "fevrier": 2,
    "fevr": 2,
    "fev": 2,
    "mars": 3,
    "avril": 4,
    "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "juil": 7,
    "aout": 8,
    "septembre": 9,
    "sept": 9,
    "sep": 9,
    "octobre": 10,
    "oct": 10,
    "novembre": 11,
    "nov": 11,
    "decembre": 12,
    "dec": 12,
}
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MAX_DURATION = timedelta(hours=72)

_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2}|\d{4}))?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_WORDED_DATE = re.compile(r"^(?:(?:\w+)\s+)?(\d{1,2})(?:er)?\s+([a-z]+)\.?(?:\s+(\d{4}))?$")
_TIME = re.compile(r"^(\d{1,2})\s*(?:h|:|heures?)\s*(\d{2})?$|^(\d{1,2})$")
_DURATION = re.compile(
    r"^(?:(\d{1,2})\s*h(?:eures?)?\s*(\d{1,2})?\s*(?:min)?|(\d{1,4})\s*(?:min|minutes?|mn)?)$"
)


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", unidecode(text).strip().lower())


def parse_date(text: str, today: date) -> date:
    """A calendar date; without a year, the next occurrence from ``today``."""
    value = _normalise(text)
    year: int | None
    if match := _ISO_DATE.match(value):
        year, month, day = (int(g) for g in match.groups())
    elif match := _NUMERIC_DATE.match(value):
        day, month = int(match.group(1)), int(match.group(2))
        year = int(match.group(3)) if match.group(3) else None
        if year is not None and year < 100:
            year += 2000
    elif match := _WORDED_DATE.match(value):
        words = value.split()
        if len(words) > 2 and words[0] not in WEEKDAYS and not words[0].isdigit():
            raise TimingError("events.error_date", value=text)
        day = int(match.group(1))
        month_word = match.group(2)
        if month_word not in MONTHS:
            raise TimingError("events.error_date", value=text)
        month = MONTHS[month_word]
        year = int(match.group(3)) if match.group(3) else None
    else:
        raise TimingError("events.error_date", value=text)
    try:
        if year is None:
            candidate = date(today.year, month, day)
            if candidate < today:
                candidate = date(today.year + 1, month, day)
            return candidate
        return date(year, month, day)
    except ValueError:
        raise TimingError("events.error_date", value=text) from None


def parse_time(text: str) -> time:
    """``14h``, ``14h30``, ``14:30``, ``9 h 05``, ``14``."""
    value = _normalise(text).replace(" ", "")
    match = _TIME.match(value)
    if not match:
        raise TimingError("events.error_time", value=text)
    hour = int(match.group(1) or match.group(3))
    minute = int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        raise TimingError("events.error_time", value=text)
    return time(hour, minute)


def parse_duration(text: str) -> timedelta:
    """``2h``, ``1h30``, ``90 min``, ``90`` (minutes)."""
    value = _normalise(text).replace(" ", "")
    match = _DURATION.match(value)
    if not match:
        raise TimingError("events.error_duration", value=text)
    if match.group(3) is not None:
        duration = timedelta(minutes=int(match.group(3)))
    else:
        duration = timedelta(hours=int(match.group(1)), minutes=int(match.group(2) or 0))
    if not timedelta(minutes=15) <= duration <= MAX_DURATION:
        raise TimingError("events.error_duration", value=text)
    return duration


def parse_start(date_text: str, time_text: str, now: datetime) -> datetime:
    """The start instant (UTC) from a Paris date and time; it must lie in the future."""
    today = now.astimezone(PARIS).date()
    starts_at = paris_to_utc(datetime.combine(parse_date(date_text, today), parse_time(time_text)))
    if starts_at <= now:
        raise TimingError("events.error_in_past")
    return starts_at


def check_url(text: str) -> str:
    """A web link (visio) must be http(s) with a host; returned stripped."""
    value = text.strip()
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or " " in value:
        raise TimingError("events.error_url", value=text)
    return value
