"""Opening hours in OpenStreetMap syntax, evaluated in Europe/Paris with French public
holidays: "open now until 17:00", "opens Tuesday at 9:00", "closed today (Armistice)".

``now`` is always a parameter (the runtime passes ``bot.clock.now()``), so results are
reproducible in tests and in the demo's moved clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import opening_hours

PARIS = ZoneInfo("Europe/Paris")
LOOKAHEAD = timedelta(days=14)

DAYS = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


@lru_cache(maxsize=4096)
def parse_hours(expression: str | None) -> opening_hours.OpeningHours | None:
    """Parsed expression, or None when empty or invalid. Public services in France close
    on public holidays: unless the expression says something about ``PH`` itself, the
    place is taken as closed on them."""
    if not expression or not expression.strip():
        return None
    text = expression.strip().rstrip(";")
    if "PH" not in text:
        text = f"{text}; PH off"
    try:
        return opening_hours.OpeningHours(
            text, timezone=PARIS, country="FR", auto_country=False, auto_timezone=False
        )
    except Exception:
        return None


def is_valid(expression: str) -> bool:
    return bool(expression.strip()) and opening_hours.validate(expression.strip())


@lru_cache(maxsize=8)
def _french_holidays(year: int) -> holidays.HolidayBase:
    return holidays.France(years=year, language="fr")


def holiday_name(day: date) -> str | None:
    return _french_holidays(day.year).get(day)


@dataclass(frozen=True)
class OpeningStatus:
    known: bool  # False: no hours given, or unreadable
    open_now: bool = False
    closes_at: datetime | None = None  # when open: end of the current opening
    opens_at: datetime | None = None  # when closed: next opening within two weeks
    holiday: str | None = None  # today's French public holiday, if any

    def minutes_until_open(self, now: datetime) -> float:
        """0 when open; minutes before the next opening; infinity when unknown or far."""
        if self.open_now:
            return 0.0
        if self.opens_at is None:
            return float("inf")
        return max(0.0, (self.opens_at - now).total_seconds() / 60)


def opening_status(expression: str | None, now: datetime) -> OpeningStatus:
    parsed = parse_hours(expression)
    local_now = now.astimezone(PARIS)
    holiday = holiday_name(local_now.date())
    if parsed is None:
        return OpeningStatus(known=False, holiday=holiday)
    state = parsed.state(local_now)[0]
    if state == opening_hours.State.OPEN:
        closes_at = parsed.next_change(local_now)
        return OpeningStatus(known=True, open_now=True, closes_at=closes_at, holiday=holiday)
    opens_at = None
    for start, _end, interval_state, _comment in parsed.intervals(local_now, local_now + LOOKAHEAD):
        if interval_state == opening_hours.State.OPEN:
            opens_at = max(start, local_now)
            break
    return OpeningStatus(known=True, open_now=False, opens_at=opens_at, holiday=holiday)


def _clock(moment: datetime) -> str:
    return f"{moment.hour}:{moment.minute:02d}" if moment.minute else f"{moment.hour}:00"


def _day_word(moment: datetime, now: datetime, locale: str) -> str:
    local_now = now.astimezone(PARIS)
    delta = (moment.date() - local_now.date()).days
    if delta == 0:
        return "aujourd'hui" if locale == "fr" else "today"
    if delta == 1:
        return "demain" if locale == "fr" else "tomorrow"
    name = DAYS[locale][moment.weekday()]
    if delta >= 7:
        return (
            f"{name} {moment.day}/{moment.month:02d}"
            if locale == "fr"
            else f"{name} {moment.month}/{moment.day}"
        )
    return name


def describe_status(status: OpeningStatus, now: datetime, locale: str = "fr") -> str:
    """One line for a result: "🟢 Ouvert, jusqu'à 17:00" / "🔴 Fermé, ouvre mardi à 9:00"."""
    fr = locale == "fr"
    if not status.known:
        return "Horaires non renseignés" if fr else "Opening hours not given"
    if status.open_now:
        if status.closes_at is None:
            return "🟢 Ouvert" if fr else "🟢 Open"
        until = status.closes_at.astimezone(PARIS)
        if until.date() != now.astimezone(PARIS).date():
            word = _day_word(until, now, locale)
            return (
                f"🟢 Ouvert, jusqu'à {word} {_clock(until)}"
                if fr
                else f"🟢 Open until {word} {_clock(until)}"
            )
        return f"🟢 Ouvert, jusqu'à {_clock(until)}" if fr else f"🟢 Open until {_clock(until)}"
    prefix = "🔴 Fermé" if fr else "🔴 Closed"
    if status.holiday:
        prefix += f" ({status.holiday})"
    if status.opens_at is None:
        return prefix + (
            ", pas d'ouverture prévue sous 2 semaines" if fr else ", no opening within 2 weeks"
        )
    opens = status.opens_at.astimezone(PARIS)
    word = _day_word(opens, now, locale)
    return (
        f"{prefix}, ouvre {word} à {_clock(opens)}"
        if fr
        else f"{prefix}, opens {word} at {_clock(opens)}"
    )


def weekly_table(expression: str | None, locale: str = "fr") -> list[tuple[str, str]]:
    """(day, "9:00–12:00, 14:00–17:00") for Monday..Sunday of an ordinary week (public
    holidays ignored), for the structure's card."""
    if not expression:
        return []
    try:
        parsed = opening_hours.OpeningHours(
            expression.strip().rstrip(";"),
            timezone=PARIS,
            country="FR",
            auto_country=False,
            auto_timezone=False,
        )
    except Exception:
        return []
    # A fixed reference week without public holidays (Monday 2 March 2026).
    monday = datetime(2026, 3, 2, tzinfo=PARIS)
    table = []
    for offset in range(7):
        start = monday + timedelta(days=offset)
        spans = [
            f"{_clock(a)}–{_clock(b) if b.date() == a.date() else '24:00'}"
            for a, b, state, _ in parsed.intervals(start, start + timedelta(days=1))
            if state == opening_hours.State.OPEN
        ]
        closed = "fermé" if locale == "fr" else "closed"
        table.append((DAYS[locale][offset], ", ".join(spans) if spans else closed))
    return table
