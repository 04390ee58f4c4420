"""Opening hours over a reference week: how many hours, which days, evenings, Saturdays.

An OpenStreetMap ``opening_hours`` expression is evaluated once (per distinct expression)
over an ordinary week without public holidays and kept as a bit set of 5-minute slots
from Monday 00:00, so that the hours of several places combine by union (a quartier is
served when at least one of its places is open) with integer arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import opening_hours

PARIS = ZoneInfo("Europe/Paris")
# Monday 2 March 2026: no French public holiday that week, no change of time.
REFERENCE_MONDAY = datetime(2026, 3, 2, tzinfo=PARIS)
SLOT_MINUTES = 5
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES
EVENING_FROM_MINUTES = 18 * 60  # "le soir": open after 18:00
SATURDAY = 5
SUNDAY = 6

_DAY = (1 << SLOTS_PER_DAY) - 1
DAY_MASKS = tuple(_DAY << (SLOTS_PER_DAY * day) for day in range(7))
_EVENING_OF_DAY = _DAY & ~((1 << (EVENING_FROM_MINUTES // SLOT_MINUTES)) - 1)
EVENING_MASK = sum(_EVENING_OF_DAY << (SLOTS_PER_DAY * day) for day in range(7))


@dataclass(frozen=True)
class WeeklyOpening:
    """When a place (or a union of places) is open in an ordinary week."""

    slots: int = 0  # bit i: open during the i-th 5-minute slot from Monday 00:00
    known: bool = False  # False: no hours given, or an expression that does not parse

    @property
    def hours(self) -> float:
        return self.slots.bit_count() * SLOT_MINUTES / 60

    def day_hours(self, day: int) -> float:
        return (self.slots & DAY_MASKS[day]).bit_count() * SLOT_MINUTES / 60

    @property
    def days(self) -> tuple[int, ...]:
        """Weekdays (0 = Monday) with at least one opening."""
        return tuple(day for day in range(7) if self.slots & DAY_MASKS[day])

    @property
    def evening(self) -> bool:
        return bool(self.slots & EVENING_MASK)

    @property
    def evening_days(self) -> tuple[int, ...]:
        return tuple(day for day in range(7) if self.slots & EVENING_MASK & DAY_MASKS[day])

    @property
    def saturday(self) -> bool:
        return bool(self.slots & DAY_MASKS[SATURDAY])

    @property
    def sunday(self) -> bool:
        return bool(self.slots & DAY_MASKS[SUNDAY])

    def __or__(self, other: WeeklyOpening) -> WeeklyOpening:
        return WeeklyOpening(self.slots | other.slots, self.known or other.known)


UNKNOWN = WeeklyOpening()


def _slot(moment: datetime) -> int:
    minutes = (moment - REFERENCE_MONDAY).total_seconds() / 60
    return max(0, min(7 * SLOTS_PER_DAY, round(minutes / SLOT_MINUTES)))


@lru_cache(maxsize=16384)
def weekly_opening(expression: str | None) -> WeeklyOpening:
    """The reference week of an expression; ``UNKNOWN`` when empty or unreadable. Only
    "open" counts: "unknown" or commented-off intervals are not promised to anyone."""
    if not expression or not expression.strip():
        return UNKNOWN
    try:
        parsed = opening_hours.OpeningHours(
            expression.strip().rstrip(";"),
            timezone=PARIS,
            country="FR",
            auto_country=False,
            auto_timezone=False,
        )
        intervals = parsed.intervals(REFERENCE_MONDAY, REFERENCE_MONDAY + timedelta(days=7))
        slots = 0
        for start, end, state, _comment in intervals:
            if state != opening_hours.State.OPEN:
                continue
            first, last = _slot(start), _slot(end)
            if last > first:
                slots |= ((1 << (last - first)) - 1) << first
    except Exception:
        return UNKNOWN
    return WeeklyOpening(slots, True)


def union(openings: list[WeeklyOpening]) -> WeeklyOpening:
    result = UNKNOWN
    for opening in openings:
        result = result | opening
    return result
