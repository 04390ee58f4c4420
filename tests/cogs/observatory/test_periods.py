"""Periods as coordinators type them, their labels, slugs and the previous period."""

from __future__ import annotations

from datetime import date

import pytest

from cogs.observatory.periods import Period, PeriodError, parse_period, suggestions

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("typed", "start", "end", "label"),
    [
        ("", date(2026, 7, 1), date(2027, 1, 1), "2e semestre 2026"),
        ("semestre précédent", date(2026, 1, 1), date(2026, 7, 1), "1er semestre 2026"),
        ("S1 2025", date(2025, 1, 1), date(2025, 7, 1), "1er semestre 2025"),
        ("2025-S2", date(2025, 7, 1), date(2026, 1, 1), "2e semestre 2025"),
        ("1er semestre 2024", date(2024, 1, 1), date(2024, 7, 1), "1er semestre 2024"),
        ("2025", date(2025, 1, 1), date(2026, 1, 1), "année 2025"),
        ("année précédente", date(2025, 1, 1), date(2026, 1, 1), "année 2025"),
        ("T2 2026", date(2026, 4, 1), date(2026, 7, 1), "2e trimestre 2026"),
        ("Mars 2026", date(2026, 3, 1), date(2026, 4, 1), "mars 2026"),
        ("2026-02", date(2026, 2, 1), date(2026, 3, 1), "février 2026"),
        (
            "12 mois",
            date(2025, 12, 1),
            date(2026, 11, 24),
            "12 derniers mois (du 01/12/2025 au 23/11/2026)",
        ),
        (
            "01/01/2026-31/03/2026",
            date(2026, 1, 1),
            date(2026, 4, 1),
            "du 01/01/2026 au 31/03/2026",
        ),
        (
            "du 2026-01-01 au 2026-01-31",
            date(2026, 1, 1),
            date(2026, 2, 1),
            "du 01/01/2026 au 31/01/2026",
        ),
    ],
)
def test_parse(typed: str, start: date, end: date, label: str) -> None:
    period = parse_period(typed, TODAY)
    assert (period.start, period.end, period.label()) == (start, end, label)
    # The slug (carried by buttons) reads back as the same dates.
    again = parse_period(period.slug, TODAY)
    assert (again.start, again.end) == (period.start, period.end)


def test_previous_periods() -> None:
    assert parse_period("S1 2026", TODAY).previous() == parse_period("S2 2025", TODAY)
    assert parse_period("2026", TODAY).previous() == parse_period("2025", TODAY)
    assert parse_period("T1 2026", TODAY).previous() == parse_period("T4 2025", TODAY)
    assert parse_period("janvier 2026", TODAY).previous() == parse_period("2025-12", TODAY)
    ranged = parse_period("01/01/2026-10/01/2026", TODAY).previous()
    assert (ranged.start, ranged.end) == (date(2025, 12, 22), date(2026, 1, 1))
    twelve = parse_period("12 mois", TODAY).previous()
    assert (twelve.start, twelve.end) == (date(2024, 12, 1), date(2025, 12, 1))


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("l'an 3000", "observatory.period.unknown"),
        ("1850", "observatory.period.unknown"),
        ("31/02/2026-01/03/2026", "observatory.period.bad_date"),
        ("30/06/2026-01/01/2026", "observatory.period.reversed"),
        ("01/01/2000-01/01/2026", "observatory.period.too_long"),
        ("500 mois", "observatory.period.unknown"),
    ],
)
def test_refused(typed: str, key: str) -> None:
    with pytest.raises(PeriodError) as error:
        parse_period(typed, TODAY)
    assert error.value.key == key


def test_suggestions_and_english() -> None:
    values = [value for _label, value in suggestions(TODAY)]
    assert values == ["2026-S2", "2026-S1", "2025-S2", "2026", "2025", "12 mois"]
    assert (
        Period("semester", date(2026, 1, 1), date(2026, 7, 1)).label("en") == "First half of 2026"
    )
    assert [label for label, _v in suggestions(TODAY, "en")][-1] == "last 12 months"
