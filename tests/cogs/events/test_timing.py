from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cogs.events.timing import (
    PARIS,
    Offset,
    SendDecision,
    TimingError,
    add_months,
    cadence_check,
    decide_send,
    paris_to_utc,
    parse_offsets,
    plan_reminders,
    reminder_dedupe_key,
)

DEFAULT = parse_offsets("J-14, J-7, J-1, H-2")


def paris(*args: int) -> datetime:
    return paris_to_utc(datetime(*args))


def test_parse_offsets_sorted_furthest_first_and_deduplicated() -> None:
    offsets = parse_offsets("h-2 ; J-1 J-14,J-7, D-7")
    assert [o.label for o in offsets] == ["J-14", "J-7", "J-1", "H-2"]
    assert parse_offsets(["H-48", "J-1"]) == [Offset("H", 48), Offset("J", 1)]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "events.error_offsets_empty"),
        ("J-7, demain", "events.error_offset_syntax"),
        ("J+7", "events.error_offset_syntax"),
        ("J-0", "events.error_offset_range"),
        ("H-500", "events.error_offset_range"),
        ("J-1 J-2 J-3 J-4 J-5 J-6 J-7 J-8 J-9", "events.error_offsets_too_many"),
    ],
)
def test_parse_offsets_rejects_bad_input_with_a_catalogue_key(text: str, key: str) -> None:
    with pytest.raises(TimingError) as caught:
        parse_offsets(text)
    assert caught.value.key == key


def test_default_reminders_across_the_march_change_keep_paris_wall_clock() -> None:
    # COPIL Thursday 1 April 2027, 14:00 in Paris (CEST, UTC+2); DST began Sunday 28 March.
    start = paris(2027, 4, 1, 14, 0)
    assert start == datetime(2027, 4, 1, 12, 0, tzinfo=UTC)
    planned = plan_reminders(start, DEFAULT, now=datetime(2027, 1, 1, tzinfo=UTC))
    assert [(p.label, p.due_at) for p in planned] == [
        ("J-14", datetime(2027, 3, 18, 13, 0, tzinfo=UTC)),  # 14:00 CET
        ("J-7", datetime(2027, 3, 25, 13, 0, tzinfo=UTC)),  # 14:00 CET
        ("J-1", datetime(2027, 3, 31, 12, 0, tzinfo=UTC)),  # 14:00 CEST
        ("H-2", datetime(2027, 4, 1, 10, 0, tzinfo=UTC)),
    ]
    for reminder in planned[:3]:
        assert reminder.due_at.astimezone(PARIS).hour == 14


def test_j7_across_the_october_change() -> None:
    # Tuesday 2 November 2027, 10:00 CET (UTC+1); DST ended Sunday 31 October.
    start = paris(2027, 11, 2, 10, 0)
    (j7,) = plan_reminders(start, [Offset("J", 7)], now=datetime(2027, 1, 1, tzinfo=UTC))
    assert j7.due_at == datetime(2027, 10, 26, 8, 0, tzinfo=UTC)  # 10:00 CEST
    assert j7.due_at.astimezone(PARIS).strftime("%d/%m %H:%M") == "26/10 10:00"


def test_hours_are_elapsed_time_even_over_the_change_night() -> None:
    start = paris(2027, 3, 28, 4, 0)  # 04:00 CEST = 02:00 UTC
    (h2,) = plan_reminders(start, [Offset("H", 2)], now=datetime(2027, 1, 1, tzinfo=UTC))
    assert start - h2.due_at == timedelta(hours=2)
    assert h2.due_at.astimezone(PARIS).strftime("%H:%M %Z") == "01:00 CET"


def test_day_offset_landing_in_the_spring_gap_moves_forward() -> None:
    start = paris(2027, 3, 29, 2, 30)  # J-1 would be 28/03 02:30, which never happens
    assert Offset("J", 1).before(start).astimezone(PARIS).strftime("%d %H:%M") == "28 03:30"


def test_day_offset_landing_in_the_autumn_repeat_takes_the_first_one() -> None:
    start = paris(2027, 11, 1, 2, 30)
    due = Offset("J", 1).before(start)
    assert due == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # 02:30 CEST, not CET


@given(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2035, 12, 31)),
    st.integers(min_value=1, max_value=60),
)
def test_day_offsets_keep_date_distance_and_wall_clock(local: datetime, days: int) -> None:
    start = paris_to_utc(local.replace(second=0, microsecond=0))
    due_local = Offset("J", days).before(start).astimezone(PARIS)
    start_local = start.astimezone(PARIS)
    assert (start_local.date() - due_local.date()).days == days
    # Same wall clock, unless it fell in the one-hour spring gap.
    drift = datetime.combine(due_local.date(), due_local.time()) - datetime.combine(
        due_local.date(), start_local.time()
    )
    assert drift in (timedelta(0), timedelta(hours=1))


def test_past_reminders_are_not_planned_and_grace_runs_to_the_next() -> None:
    start = paris(2027, 4, 1, 14, 0)
    now = datetime(2027, 3, 20, tzinfo=UTC)  # after J-14
    planned = plan_reminders(start, DEFAULT, now)
    assert [p.label for p in planned] == ["J-7", "J-1", "H-2"]
    assert planned[0].grace == planned[1].due_at - planned[0].due_at
    assert planned[-1].grace == timedelta(hours=2)  # H-2 is useful until the start


def test_offsets_on_the_same_instant_make_one_reminder() -> None:
    start = paris(2027, 6, 10, 18, 0)
    planned = plan_reminders(start, parse_offsets("J-1 H-24"), datetime(2027, 1, 1, tzinfo=UTC))
    assert len(planned) == 1


def test_dedupe_key_is_per_plan_and_shares_the_event_prefix() -> None:
    key = reminder_dedupe_key(3, "J-7", 0)
    assert key == reminder_dedupe_key(3, "J-7", 0)
    assert key != reminder_dedupe_key(3, "J-7", 1)
    assert key.startswith("event:3:reminder:")
    assert not key.startswith("event:33:")


def _decide(now: datetime, **overrides: object) -> SendDecision:
    start = datetime(2027, 4, 1, 12, tzinfo=UTC)
    args: dict[str, object] = {
        "now": now,
        "due_at": datetime(2027, 3, 25, 13, tzinfo=UTC),
        "grace": timedelta(days=6),
        "starts_at": start,
        "planned_starts_at": start,
        "cancelled": False,
    }
    args.update(overrides)
    return decide_send(**args)  # type: ignore[arg-type]


def test_send_decisions_after_downtime() -> None:
    due = datetime(2027, 3, 25, 13, tzinfo=UTC)
    assert _decide(due + timedelta(seconds=30)) is SendDecision.SEND
    assert _decide(due + timedelta(days=2)) is SendDecision.SEND_LATE
    assert _decide(due + timedelta(days=6, seconds=1)) is SendDecision.SKIP_STALE
    assert _decide(due, cancelled=True) is SendDecision.SKIP_CANCELLED
    assert (
        _decide(due, planned_starts_at=datetime(2027, 4, 2, 12, tzinfo=UTC))
        is SendDecision.SKIP_MOVED
    )
    assert (
        _decide(datetime(2027, 4, 1, 12, 5, tzinfo=UTC), grace=timedelta(days=30))
        is SendDecision.SKIP_STARTED
    )


def test_add_months_clamps_and_keeps_paris_time() -> None:
    assert add_months(paris(2027, 8, 31, 14, 0), 6) == paris(2028, 2, 29, 14, 0)
    assert add_months(paris(2027, 3, 15, 9, 30), 6).astimezone(PARIS).hour == 9


def test_cadence_nothing_due_while_next_copil_is_within_the_horizon() -> None:
    last = paris(2027, 3, 15, 14, 0)
    status = cadence_check([last, paris(2027, 9, 10, 14, 0)], now=paris(2027, 8, 1, 9, 0))
    assert not status.reminder_due
    assert status.deadline == paris(2027, 9, 15, 14, 0)


def test_cadence_reminds_from_the_lead_window_then_once_per_period() -> None:
    last = paris(2027, 3, 15, 14, 0)
    assert not cadence_check([last], now=paris(2027, 7, 1, 9, 0)).reminder_due
    first = cadence_check([last], now=paris(2027, 7, 20, 9, 0))
    assert first.reminder_due and not first.overdue
    assert cadence_check([last], now=paris(2027, 7, 25, 9, 0)).dedupe_key == first.dedupe_key
    later = cadence_check([last], now=paris(2027, 8, 30, 9, 0))
    assert later.reminder_due and later.dedupe_key != first.dedupe_key
    overdue = cadence_check([last], now=paris(2027, 10, 1, 9, 0))
    assert overdue.overdue


def test_cadence_planned_after_the_deadline_is_said_once() -> None:
    last = paris(2027, 3, 15, 14, 0)
    late = paris(2027, 11, 20, 14, 0)
    status = cadence_check([last, late], now=paris(2027, 8, 1, 9, 0))
    assert status.reminder_due and status.planned_too_late
    assert status.dedupe_key == cadence_check([last, late], now=paris(2027, 9, 1, 9, 0)).dedupe_key


def test_cadence_without_any_copil_counts_from_when_the_network_started() -> None:
    since = paris(2027, 1, 5, 9, 0)
    assert not cadence_check([], now=paris(2027, 2, 1, 9, 0), since=since).reminder_due
    status = cadence_check([], now=paris(2027, 6, 1, 9, 0), since=since)
    assert status.reminder_due and status.last is None
    assert status.deadline == paris(2027, 7, 5, 9, 0)
    assert "never" in (status.dedupe_key or "")
    # Nothing known at all: nothing to say.
    assert not cadence_check([], now=paris(2027, 6, 1, 9, 0)).reminder_due
    upcoming = cadence_check([paris(2027, 7, 1, 14, 0)], now=paris(2027, 6, 1, 9, 0), since=since)
    assert not upcoming.reminder_due


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        plan_reminders(datetime(2027, 4, 1, 14), DEFAULT, datetime(2027, 1, 1, tzinfo=UTC))
