"""Numbering and dating of issues: "Lettre n° 7 — janvier 2027"."""

from __future__ import annotations

import re
from datetime import date, datetime

from babel.dates import format_date
from unidecode import unidecode

from cogs.newsletter.cadence import PARIS

_HEADINGS = {
    "fr": "Lettre n° {number} — {period}",
    "en": "Newsletter no. {number} — {period}",
}


def period_label(when: date | datetime, locale: str = "fr") -> str:
    """Month and year in words ("janvier 2027"), on the Paris calendar for datetimes."""
    if isinstance(when, datetime):
        when = when.astimezone(PARIS).date()
    return format_date(when, "MMMM yyyy", locale=locale if locale in _HEADINGS else "fr")


def issue_heading(number: int, when: date | datetime, locale: str = "fr") -> str:
    template = _HEADINGS.get(locale, _HEADINGS["fr"])
    return template.format(number=number, period=period_label(when, locale))


def issue_slug(number: int, when: date | datetime) -> str:
    """File-name friendly: "lettre-007-janvier-2027"."""
    period = unidecode(period_label(when, "fr")).lower()
    return f"lettre-{number:03d}-" + re.sub(r"[^a-z0-9]+", "-", period).strip("-")


def next_number(highest: int | None, first_number: int = 1) -> int:
    """The number of a new issue: one after the highest so far, never below the configured
    first number (a city that already published six letters on paper starts at 7)."""
    if highest is None:
        return max(first_number, 1)
    return max(highest + 1, first_number)
