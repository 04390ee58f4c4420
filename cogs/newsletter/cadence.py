"""When the newsletter comes out, and the instants derived from it.

The default follows the city's plan: every two months, on the first Tuesday of odd months at
09:00 Europe/Paris. Every instant is computed on the Paris wall clock and returned as an aware
UTC datetime, so "09:00" stays 09:00 on both sides of a daylight-saving change. ``now`` is
always a parameter (the runtime passes ``bot.clock.now()``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from unidecode import unidecode

from cogs.newsletter.errors import NewsletterError

PARIS = ZoneInfo("Europe/Paris")

WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
WEEKDAYS_EN = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS_FR = (
    "janvier",
    "fevrier",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "aout",
    "septembre",
    "octobre",
    "novembre",
    "decembre",
)
MONTHS_FR_ACCENTED = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
MONTHS_EN = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
ODD_MONTHS = frozenset({1, 3, 5, 7, 9, 11})
EVEN_MONTHS = frozenset({2, 4, 6, 8, 10, 12})
ALL_MONTHS = frozenset(range(1, 13))

_RANKS = {
    "1er": 1,
    "1re": 1,
    "1ere": 1,
    "premier": 1,
    "premiere": 1,
    "first": 1,
    "1st": 1,
    "2e": 2,
    "2eme": 2,
    "deuxieme": 2,
    "second": 2,
    "seconde": 2,
    "2nd": 2,
    "3e": 3,
    "3eme": 3,
    "troisieme": 3,
    "third": 3,
    "3rd": 3,
    "4e": 4,
    "4eme": 4,
    "quatrieme": 4,
    "fourth": 4,
    "4th": 4,
    "dernier": -1,
    "derniere": -1,
    "last": -1,
}
_RANK_TEXT_FR = {1: "1er", 2: "2e", 3: "3e", 4: "4e", -1: "dernier"}


@dataclass(frozen=True)
class Cadence:
    """The nth weekday of some months at a local time, and the offsets derived from it."""

    months: frozenset[int] = ODD_MONTHS
    weekday: int = 1  # Monday = 0, as datetime.weekday()
    rank: int = 1  # 1..4, or -1 for the last one of the month
    at: time = time(9, 0)
    deadline_days: int = 7  # submissions close this many days before publication
    call_days: int = 14  # members' call for items, this many days before the deadline
    deadline_reminder_days: int = 2  # coordinators reminded this many days before the deadline
    publication_reminder_days: int = 1  # and this many days before publication

    def __post_init__(self) -> None:
        if not self.months or not self.months <= ALL_MONTHS:
            raise ValueError("months must be a non-empty subset of 1..12")
        if self.weekday not in range(7):
            raise ValueError("weekday must be 0..6")
        if self.rank not in (1, 2, 3, 4, -1):
            raise ValueError("rank must be 1..4 or -1")
        if self.deadline_days < 0 or self.call_days < 0:
            raise ValueError("offsets cannot be negative")

    def occurrence(self, year: int, month: int) -> date | None:
        """The publication day in that month, or None if the month is not in the cadence."""
        if month not in self.months:
            return None
        return nth_weekday(year, month, self.weekday, self.rank)

    def publication_at(self, day: date) -> datetime:
        return local_instant(day, self.at)

    def next_publication(self, now: datetime) -> datetime:
        """The first publication instant strictly after ``now``."""
        return self.publications_after(now, 1)[0]

    def publications_after(self, now: datetime, count: int) -> list[datetime]:
        _require_aware(now)
        local = now.astimezone(PARIS)
        year, month = local.year, local.month
        found: list[datetime] = []
        # Two years always contain at least one month of any non-empty set.
        for _ in range(24 * max(count, 1) + 1):
            day = self.occurrence(year, month)
            if day is not None:
                instant = self.publication_at(day)
                if instant > now:
                    found.append(instant)
                    if len(found) == count:
                        return found
            month += 1
            if month == 13:
                year, month = year + 1, 1
        raise AssertionError("unreachable: a cadence always has a next occurrence")

    def milestones(self, publication: datetime) -> Milestones:
        return Milestones(
            publication=publication,
            deadline=shift_local(publication, -self.deadline_days),
            call_for_items=shift_local(publication, -(self.deadline_days + self.call_days)),
            deadline_reminder=shift_local(
                publication, -(self.deadline_days + self.deadline_reminder_days)
            ),
            publication_reminder=shift_local(publication, -self.publication_reminder_days),
        )

    def to_text(self) -> str:
        """Canonical French text, which :func:`parse_cadence` reads back."""
        rank = _RANK_TEXT_FR[self.rank]
        weekday = WEEKDAYS_FR[self.weekday]
        if self.months == ODD_MONTHS:
            months = "des mois impairs"
        elif self.months == EVEN_MONTHS:
            months = "des mois pairs"
        elif self.months == ALL_MONTHS:
            months = "de chaque mois"
        else:
            names = [MONTHS_FR_ACCENTED[m - 1] for m in sorted(self.months)]
            months = "de " + (
                ", ".join(names[:-1]) + " et " + names[-1] if len(names) > 1 else names[0]
            )
        text = f"{rank} {weekday} {months} à {self.at:%H:%M}"
        return f"{text}, clôture J-{self.deadline_days}"


@dataclass(frozen=True)
class Milestones:
    """Everything that happens around one publication, as aware UTC datetimes."""

    call_for_items: datetime
    deadline_reminder: datetime
    deadline: datetime
    publication_reminder: datetime
    publication: datetime

    @property
    def slot(self) -> str:
        """Stable name of the publication slot ("2027-01"), used in delivery keys."""
        return f"{self.publication.astimezone(PARIS):%Y-%m}"


DEFAULT_CADENCE = Cadence()


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime (bot.clock.now())")


def nth_weekday(year: int, month: int, weekday: int, rank: int) -> date | None:
    """The ``rank``-th ``weekday`` of the month (-1: the last); None if there is no 5th."""
    if rank == -1:
        last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    day = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (rank - 1))
    return day if day.month == month else None


def local_instant(day: date, at: time, tz: ZoneInfo = PARIS) -> datetime:
    """``day`` at wall-clock ``at`` in ``tz``, as UTC.

    A wall time skipped by the spring change (02:30 on the last Sunday of March) is moved
    forward by the gap, as clocks are; an ambiguous autumn time takes its first occurrence.
    """
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) != naive:
        # Non-existent: fold=1 gives the post-transition offset, i.e. the instant just after.
        later = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
        return max(first, later)
    return first


def shift_local(moment: datetime, days: int, tz: ZoneInfo = PARIS) -> datetime:
    """``moment`` moved by whole days on the local wall clock (DST-correct), as UTC."""
    _require_aware(moment)
    local = moment.astimezone(tz)
    return local_instant(local.date() + timedelta(days=days), local.time().replace(tzinfo=None), tz)


# --- parsing the French (or English) text coordinators type ------------------------------

_TIME_RE = re.compile(r"(?:\ba\s+|\bat\s+)?\b(\d{1,2})\s*(?:h|:)\s*(\d{2})?\b")
_DEADLINE_RE = re.compile(r"\b(?:cloture|deadline)\s*(?:a\s+)?(?:j\s*-\s*)?(\d{1,2})\b")
_DEADLINE_DAYS_RE = re.compile(r"\b(\d{1,2})\s*(?:jours?|days?)\s*(?:avant|before)\b")


def parse_cadence(text: str, base: Cadence = DEFAULT_CADENCE) -> Cadence:
    """Read "1er mardi des mois impairs à 09:00, clôture J-7" and its variants.

    Understood: rank (1er, 2e, 3e, 4e, dernier / first...last), weekday (French or English),
    months ("mois impairs", "mois pairs", "chaque mois", "tous les mois", or month names),
    time ("9h", "09:00", "9h30"; default kept from ``base``), deadline ("clôture J-7" or
    "7 jours avant"). Raises NewsletterError("newsletter.cadence_invalid") otherwise.
    """
    raw = text
    text = unidecode(text).lower().replace("’", "'")
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise NewsletterError("newsletter.cadence_invalid", text=raw)

    deadline_days = base.deadline_days
    match = _DEADLINE_RE.search(text) or _DEADLINE_DAYS_RE.search(text)
    if match:
        deadline_days = int(match.group(1))
        text = text[: match.start()] + " " + text[match.end() :]

    at = base.at
    match = _TIME_RE.search(text)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if hour > 23 or minute > 59:
            raise NewsletterError("newsletter.cadence_invalid", text=raw)
        at = time(hour, minute)
        text = text[: match.start()] + " " + text[match.end() :]

    words = re.findall(r"[a-z0-9]+", text)
    rank = next((_RANKS[w] for w in words if w in _RANKS), None)
    weekday = next(
        (names.index(w) for w in words for names in (WEEKDAYS_FR, WEEKDAYS_EN) if w in names),
        None,
    )
    months: set[int] = set()
    if "impairs" in words or "odd" in words:
        months = set(ODD_MONTHS)
    elif "pairs" in words or "even" in words:
        months = set(EVEN_MONTHS)
    elif "chaque" in words or "tous" in words or "every" in words or "each" in words:
        months = set(ALL_MONTHS)
    else:
        for w in words:
            for names in (MONTHS_FR, MONTHS_EN):
                if w in names:
                    months.add(names.index(w) + 1)
    if rank is None or weekday is None or not months:
        raise NewsletterError("newsletter.cadence_invalid", text=raw)
    return replace(
        base,
        months=frozenset(months),
        weekday=weekday,
        rank=rank,
        at=at,
        deadline_days=deadline_days,
    )


# --- dates typed by coordinators -----------------------------------------------------------

_DATE_PATTERNS = (
    re.compile(r"^(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})$"),
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})$"),
)
_TIME_ONLY_RE = re.compile(r"^(\d{1,2})\s*(?:h|:)\s*(\d{2})?$")


def parse_day(text: str, today: date) -> date:
    """ "05/01/2027", "2027-01-05", or "05/01" (the next such day from ``today``)."""
    value = text.strip()
    for pattern in _DATE_PATTERNS:
        match = pattern.match(value)
        if not match:
            continue
        day, month = int(match["d"]), int(match["m"])
        year = int(match["y"]) if "y" in match.groupdict() and match["y"] else today.year
        try:
            found = date(year, month, day)
        except ValueError:
            break
        if not match.groupdict().get("y") and found < today:
            found = found.replace(year=year + 1)
        return found
    raise NewsletterError("newsletter.date_invalid", text=text)


def parse_clock(text: str) -> time:
    """ "9h", "09:00", "9h30"."""
    match = _TIME_ONLY_RE.match(unidecode(text).strip().lower())
    if match:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if hour <= 23 and minute <= 59:
            return time(hour, minute)
    raise NewsletterError("newsletter.time_invalid", text=text)


def publication_instant(
    cadence: Cadence, now: datetime, day_text: str | None, time_text: str | None
) -> datetime:
    """When to publish: the next cadence slot by default; a given day (at the cadence's
    hour unless a time is given) or a given time on the next slot's day otherwise."""
    _require_aware(now)
    at = parse_clock(time_text) if time_text else cadence.at
    if day_text:
        day = parse_day(day_text, now.astimezone(PARIS).date())
    else:
        day = cadence.next_publication(now).astimezone(PARIS).date()
    return local_instant(day, at)
