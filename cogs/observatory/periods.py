"""Periods the COPIL reasons in: semesters first (the COPIL meets every semester), then
years, quarters, months, the last N months, or explicit dates; each with "the previous
one" to compare with."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from unidecode import unidecode

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
MONTHS_FR_DISPLAY = (
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
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DATE = r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{4}"
MAX_DAYS = 3660  # ten years: beyond, a typo rather than a question


class PeriodError(ValueError):
    """A period that cannot be read; ``key`` is a catalogue key for the French message."""

    def __init__(self, key: str, **kwargs: str) -> None:
        super().__init__(key)
        self.key = key
        self.kwargs = kwargs


@dataclass(frozen=True)
class Period:
    kind: str  # semester, year, quarter, month, months, range
    start: date  # first day
    end: date  # day after the last one (exclusive)
    months: int = 0  # for kind "months": the length

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    def label(self, locale: str = "fr") -> str:
        fr = locale == "fr"
        if self.kind == "semester":
            half = 1 if self.start.month == 1 else 2
            if fr:
                return f"{'1er' if half == 1 else '2e'} semestre {self.start.year}"
            return f"{'First' if half == 1 else 'Second'} half of {self.start.year}"
        if self.kind == "year":
            return f"année {self.start.year}" if fr else f"year {self.start.year}"
        if self.kind == "quarter":
            quarter = (self.start.month - 1) // 3 + 1
            return (
                f"{quarter}{'er' if quarter == 1 else 'e'} trimestre {self.start.year}"
                if fr
                else f"Q{quarter} {self.start.year}"
            )
        if self.kind == "month":
            names = MONTHS_FR_DISPLAY if fr else MONTHS_EN
            return f"{names[self.start.month - 1]} {self.start.year}"
        if self.kind == "months":
            return (
                f"{self.months} derniers mois (du {self.start:%d/%m/%Y} au {self.last_day:%d/%m/%Y})"
                if fr
                else f"last {self.months} months ({self.start:%Y-%m-%d} to {self.last_day:%Y-%m-%d})"
            )
        return (
            f"du {self.start:%d/%m/%Y} au {self.last_day:%d/%m/%Y}"
            if fr
            else f"{self.start:%Y-%m-%d} to {self.last_day:%Y-%m-%d}"
        )

    @property
    def slug(self) -> str:
        """For file names: 2026-S1, 2026, 2026-T2, 2026-03, 2026-01-01_2026-06-30."""
        if self.kind == "semester":
            return f"{self.start.year}-S{1 if self.start.month == 1 else 2}"
        if self.kind == "year":
            return str(self.start.year)
        if self.kind == "quarter":
            return f"{self.start.year}-T{(self.start.month - 1) // 3 + 1}"
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        return f"{self.start:%Y-%m-%d}_{self.last_day:%Y-%m-%d}"

    def previous(self) -> Period:
        """The period just before, of the same kind (the previous semester, year...)."""
        if self.kind == "semester":
            return semester_of(self.start - timedelta(days=1))
        if self.kind == "year":
            return year_period(self.start.year - 1)
        if self.kind == "quarter":
            return quarter_of(self.start - timedelta(days=1))
        if self.kind == "month":
            return month_period(*_month_before(self.start.year, self.start.month))
        if self.kind == "months":
            return Period("months", _add_months(self.start, -self.months), self.start, self.months)
        return Period("range", self.start - timedelta(days=self.days), self.start)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_before(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def semester_of(day: date) -> Period:
    if day.month <= 6:
        return Period("semester", date(day.year, 1, 1), date(day.year, 7, 1))
    return Period("semester", date(day.year, 7, 1), date(day.year + 1, 1, 1))


def year_period(year: int) -> Period:
    return Period("year", date(year, 1, 1), date(year + 1, 1, 1))


def quarter_of(day: date) -> Period:
    first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return Period("quarter", first, _add_months(first, 3))


def month_period(year: int, month: int) -> Period:
    first = date(year, month, 1)
    return Period("month", first, _add_months(first, 1))


def last_months(today: date, months: int) -> Period:
    """The last ``months`` whole months plus the current one so far (trend windows)."""
    end = today + timedelta(days=1)
    return Period(
        "months", _add_months(date(today.year, today.month, 1), -(months - 1)), end, months
    )


def _date(text: str) -> date:
    for pattern, order in (
        (r"(\d{4})-(\d{1,2})-(\d{1,2})", "ymd"),
        (r"(\d{1,2})/(\d{1,2})/(\d{4})", "dmy"),
    ):
        found = re.fullmatch(pattern, text)
        if found:
            a, b, c = (int(g) for g in found.groups())
            year, month, day = (a, b, c) if order == "ymd" else (c, b, a)
            try:
                return date(year, month, day)
            except ValueError:
                break
    raise PeriodError("observatory.period.bad_date", value=text)


def parse_period(text: str | None, today: date) -> Period:
    """What a coordinator types: "" (this semester), "semestre précédent", "S1 2026",
    "2025", "T2 2026", "mars 2026", "2026-03", "12 mois", "01/01/2026-31/03/2026"."""
    raw = (text or "").strip()
    folded = re.sub(r"\s+", " ", unidecode(raw).lower()).strip()
    if folded in ("", "semestre", "semestre en cours", "ce semestre", "current semester"):
        return semester_of(today)
    if folded in ("semestre precedent", "dernier semestre", "previous semester"):
        return semester_of(today).previous()
    if folded in ("annee", "cette annee", "annee en cours", "this year"):
        return year_period(today.year)
    if folded in ("annee precedente", "annee derniere", "last year"):
        return year_period(today.year - 1)
    found = re.fullmatch(
        r"(?:s(?:emestre)? ?([12])|([12]) ?(?:er|e|eme|nd)? semestre) ?(\d{4})", folded
    ) or re.fullmatch(r"(\d{4}) ?-? ?s([12])", folded)
    if found:
        groups = [g for g in found.groups() if g]
        year_text = next(g for g in groups if len(g) == 4)
        half = next(g for g in groups if len(g) == 1)
        return semester_of(date(int(year_text), 1 if half == "1" else 7, 1))
    found = re.fullmatch(r"(?:t|q)([1-4]) ?(\d{4})", folded) or re.fullmatch(
        r"(\d{4}) ?-? ?(?:t|q)([1-4])", folded
    )
    if found:
        a, b = found.groups()
        quarter, year = (int(a), int(b)) if len(a) == 1 else (int(b), int(a))
        return quarter_of(date(year, quarter * 3 - 2, 1))
    if re.fullmatch(r"\d{4}", folded):
        year = int(folded)
        if not 2000 <= year <= 2100:
            raise PeriodError("observatory.period.unknown", value=raw[:60])
        return year_period(year)
    found = re.fullmatch(r"(\d{1,3}) ?(?:mois|m|months?)", folded)
    if found:
        months = int(found.group(1))
        if not 1 <= months <= 120:
            raise PeriodError("observatory.period.unknown", value=raw[:60])
        return last_months(today, months)
    found = re.fullmatch(r"([a-z]+) (\d{4})", folded)
    if found and found.group(1) in MONTHS_FR:
        return month_period(int(found.group(2)), MONTHS_FR.index(found.group(1)) + 1)
    found = re.fullmatch(r"(\d{4})-(\d{1,2})", folded)
    if found and 1 <= int(found.group(2)) <= 12:
        return month_period(int(found.group(1)), int(found.group(2)))
    found = re.fullmatch(rf"(?:du )?({_DATE}) ?(?:\.\.|au|a|-|–|_) ?({_DATE})", folded)
    if found:
        start, last = _date(found.group(1)), _date(found.group(2))
        if last < start:
            raise PeriodError("observatory.period.reversed")
        period = Period("range", start, last + timedelta(days=1))
        if period.days > MAX_DAYS:
            raise PeriodError("observatory.period.too_long")
        return period
    raise PeriodError("observatory.period.unknown", value=raw[:60])


def suggestions(today: date, locale: str = "fr") -> list[tuple[str, str]]:
    """(label, value) choices for autocomplete: this and the previous semesters, the
    year, the last 12 months."""
    current = semester_of(today)
    previous = current.previous()
    before = previous.previous()
    twelve = "12 derniers mois" if locale == "fr" else "last 12 months"
    return [
        (current.label(locale), current.slug),
        (previous.label(locale), previous.slug),
        (before.label(locale), before.slug),
        (year_period(today.year).label(locale), str(today.year)),
        (year_period(today.year - 1).label(locale), str(today.year - 1)),
        (twelve, "12 mois"),
    ]
