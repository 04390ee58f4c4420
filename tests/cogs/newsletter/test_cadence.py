from datetime import UTC, date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cogs.newsletter.cadence import (
    DEFAULT_CADENCE,
    EVEN_MONTHS,
    PARIS,
    Cadence,
    local_instant,
    nth_weekday,
    parse_cadence,
    shift_local,
)
from cogs.newsletter.errors import NewsletterError


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)


def test_default_is_first_tuesday_of_odd_months_at_nine_paris() -> None:
    now = paris(2026, 11, 23, 12, 0)
    found = DEFAULT_CADENCE.publications_after(now, 4)
    assert [p.astimezone(PARIS) for p in found] == [
        datetime(2027, 1, 5, 9, 0, tzinfo=PARIS),
        datetime(2027, 3, 2, 9, 0, tzinfo=PARIS),
        datetime(2027, 5, 4, 9, 0, tzinfo=PARIS),
        datetime(2027, 7, 6, 9, 0, tzinfo=PARIS),
    ]
    # 09:00 Paris is 08:00 UTC in winter and 07:00 UTC in summer.
    assert found[0] == datetime(2027, 1, 5, 8, 0, tzinfo=UTC)
    assert found[2] == datetime(2027, 5, 4, 7, 0, tzinfo=UTC)


def test_next_publication_is_strictly_after_now() -> None:
    at = paris(2027, 1, 5, 9, 0)
    assert DEFAULT_CADENCE.next_publication(at) == paris(2027, 3, 2, 9, 0)
    assert DEFAULT_CADENCE.next_publication(paris(2027, 1, 5, 8, 59)) == at


def test_same_day_before_the_hour_gives_today() -> None:
    assert DEFAULT_CADENCE.next_publication(paris(2027, 1, 5, 8, 30)) == paris(2027, 1, 5, 9, 0)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        DEFAULT_CADENCE.next_publication(datetime(2027, 1, 1))


def test_milestones_cross_daylight_saving_on_the_wall_clock() -> None:
    # Publication on 2 November 2027 (CET); the deadline a week before is in CEST:
    # both at 09:00 on the Paris wall clock, so their UTC hours differ.
    publication = paris(2027, 11, 2, 9, 0)
    m = DEFAULT_CADENCE.milestones(publication)
    assert m.deadline.astimezone(PARIS) == datetime(2027, 10, 26, 9, 0, tzinfo=PARIS)
    assert m.deadline == datetime(2027, 10, 26, 7, 0, tzinfo=UTC)
    assert m.publication == datetime(2027, 11, 2, 8, 0, tzinfo=UTC)
    assert m.call_for_items.astimezone(PARIS) == datetime(2027, 10, 12, 9, 0, tzinfo=PARIS)
    assert m.deadline_reminder.astimezone(PARIS) == datetime(2027, 10, 24, 9, 0, tzinfo=PARIS)
    assert m.publication_reminder.astimezone(PARIS) == datetime(2027, 11, 1, 9, 0, tzinfo=PARIS)
    assert m.slot == "2027-11"
    assert (
        m.call_for_items < m.deadline_reminder < m.deadline < m.publication_reminder < m.publication
    )


def test_spring_gap_moves_forward_and_autumn_ambiguity_takes_first() -> None:
    # 02:30 does not exist on 28 March 2027 in Paris: clocks jump to 03:30.
    assert local_instant(date(2027, 3, 28), time(2, 30)).astimezone(PARIS).time() == time(3, 30)
    # 02:30 happens twice on 31 October 2027: the first one (CEST, 00:30 UTC).
    assert local_instant(date(2027, 10, 31), time(2, 30)) == datetime(
        2027, 10, 31, 0, 30, tzinfo=UTC
    )
    # A day shift across the change keeps the wall time.
    assert shift_local(paris(2027, 3, 29, 9, 0), -2).astimezone(PARIS).hour == 9


@pytest.mark.parametrize(
    ("year", "month", "weekday", "rank", "expected"),
    [
        (2027, 1, 1, 1, date(2027, 1, 5)),
        (2027, 3, 1, 1, date(2027, 3, 2)),
        (2027, 2, 0, 4, date(2027, 2, 22)),
        (2027, 12, 4, -1, date(2027, 12, 31)),
        (2027, 2, 6, -1, date(2027, 2, 28)),
        (2027, 6, 2, 1, date(2027, 6, 2)),
    ],
)
def test_nth_weekday(year: int, month: int, weekday: int, rank: int, expected: date) -> None:
    assert nth_weekday(year, month, weekday, rank) == expected


@given(
    st.integers(2020, 2040),
    st.integers(1, 12),
    st.integers(0, 6),
    st.sampled_from([1, 2, 3, 4, -1]),
)
def test_nth_weekday_properties(year: int, month: int, weekday: int, rank: int) -> None:
    day = nth_weekday(year, month, weekday, rank)
    assert day is not None and day.month == month and day.weekday() == weekday
    if rank > 0:
        assert (day.day - 1) // 7 == rank - 1
    else:
        month_length = (date(year + month // 12, month % 12 + 1, 1) - date(year, month, 1)).days
        assert day.day + 7 > month_length  # no later one in the month


@given(
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
    )
)
def test_next_publication_is_a_cadence_day_after_now(now: datetime) -> None:
    cadence = Cadence(months=EVEN_MONTHS, weekday=3, rank=-1, at=time(18, 30))
    nxt = cadence.next_publication(now)
    local = nxt.astimezone(PARIS)
    assert nxt > now
    assert local.month in EVEN_MONTHS and local.weekday() == 3
    assert (local.hour, local.minute) == (18, 30)
    assert nth_weekday(local.year, local.month, 3, -1) == local.date()
    # No cadence day was skipped: the previous month of the set has its day before now.
    previous = nth_weekday(local.year - (local.month == 2), (local.month - 3) % 12 + 1, 3, -1)
    assert previous is not None
    assert cadence.publication_at(previous) <= now


@pytest.mark.parametrize(
    ("text", "months", "weekday", "rank", "at", "deadline"),
    [
        ("1er mardi des mois impairs à 09:00, clôture J-7", {1, 3, 5, 7, 9, 11}, 1, 1, time(9), 7),
        ("premier mardi des mois impairs 9h", {1, 3, 5, 7, 9, 11}, 1, 1, time(9), 7),
        ("2e jeudi des mois pairs à 14h30", {2, 4, 6, 8, 10, 12}, 3, 2, time(14, 30), 7),
        (
            "dernier vendredi de chaque mois 17h, 10 jours avant",
            set(range(1, 13)),
            4,
            -1,
            time(17),
            10,
        ),
        ("3e lundi de janvier, avril, juillet et octobre", {1, 4, 7, 10}, 0, 3, time(9), 7),
        ("DERNIER Mercredi de Février et d'Août à 8h", {2, 8}, 2, -1, time(8), 7),
        (
            "first tuesday of odd months at 10:15, deadline 5",
            {1, 3, 5, 7, 9, 11},
            1,
            1,
            time(10, 15),
            5,
        ),
    ],
)
def test_parse_cadence(
    text: str, months: set[int], weekday: int, rank: int, at: time, deadline: int
) -> None:
    cadence = parse_cadence(text)
    assert cadence.months == frozenset(months)
    assert (cadence.weekday, cadence.rank, cadence.at, cadence.deadline_days) == (
        weekday,
        rank,
        at,
        deadline,
    )
    assert parse_cadence(cadence.to_text()) == cadence


@pytest.mark.parametrize(
    "text",
    ["", "mardi", "tous les mois", "1er des mois impairs", "1er mardi à 25h des mois impairs"],
)
def test_parse_cadence_refuses_incomplete_text(text: str) -> None:
    with pytest.raises(NewsletterError) as info:
        parse_cadence(text)
    assert info.value.key == "newsletter.cadence_invalid"


def test_default_text() -> None:
    assert DEFAULT_CADENCE.to_text() == "1er mardi des mois impairs à 09:00, clôture J-7"


def test_invalid_cadence_values() -> None:
    with pytest.raises(ValueError):
        Cadence(months=frozenset())
    with pytest.raises(ValueError):
        Cadence(rank=5)


def test_parse_day_and_clock() -> None:
    from cogs.newsletter.cadence import parse_clock, parse_day

    today = date(2026, 12, 1)
    assert parse_day("05/01/2027", today) == date(2027, 1, 5)
    assert parse_day("2027-01-05", today) == date(2027, 1, 5)
    assert parse_day("5/1", today) == date(2027, 1, 5)  # already past this year: next year
    assert parse_day("15/12", today) == date(2026, 12, 15)
    assert parse_clock("9h") == time(9, 0) and parse_clock("09:30") == time(9, 30)
    assert parse_clock("14 h 15") == time(14, 15)
    for bad in ("31/02/2027", "demain", "2027/13/01"):
        with pytest.raises(NewsletterError) as info:
            parse_day(bad, today)
        assert info.value.key == "newsletter.date_invalid"
    for bad in ("25h", "midi", "9:75"):
        with pytest.raises(NewsletterError) as info:
            parse_clock(bad)
        assert info.value.key == "newsletter.time_invalid"


def test_publication_instant_defaults_to_the_next_slot() -> None:
    from cogs.newsletter.cadence import publication_instant

    now = paris(2026, 12, 1, 10, 0)
    assert publication_instant(DEFAULT_CADENCE, now, None, None) == paris(2027, 1, 5, 9, 0)
    assert publication_instant(DEFAULT_CADENCE, now, None, "18h") == paris(2027, 1, 5, 18, 0)
    assert publication_instant(DEFAULT_CADENCE, now, "10/12/2026", None) == paris(
        2026, 12, 10, 9, 0
    )
    # Summer date: 09:00 Paris is 07:00 UTC.
    assert publication_instant(DEFAULT_CADENCE, now, "06/07/2027", "9h") == datetime(
        2027, 7, 6, 7, 0, tzinfo=UTC
    )
