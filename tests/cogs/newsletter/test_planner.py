from datetime import UTC, datetime, timedelta

from cogs.newsletter.cadence import DEFAULT_CADENCE, PARIS, parse_cadence
from cogs.newsletter.planner import KIND_CALL, KIND_REMIND, planned_deliveries, stale_keys


def test_plans_call_and_reminders_of_the_next_publications() -> None:
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    planned = planned_deliveries(DEFAULT_CADENCE, now)
    local = [(d.kind, d.payload["reminder"], d.due_at.astimezone(PARIS)) for d in planned]
    assert local[:3] == [
        (KIND_CALL, "call", datetime(2026, 12, 15, 9, 0, tzinfo=PARIS)),
        (KIND_REMIND, "deadline", datetime(2026, 12, 27, 9, 0, tzinfo=PARIS)),
        (KIND_REMIND, "publication", datetime(2027, 1, 4, 9, 0, tzinfo=PARIS)),
    ]
    assert all(d.due_at > now for d in planned)
    assert planned[0].payload["slot"] == "2027-01"
    assert planned[0].dedupe_key == "newsletter:call:20261215T0800Z"
    # The following publication (March) is planned too.
    assert {d.payload["slot"] for d in planned} == {"2027-01", "2027-03"}


def test_planning_is_stable_and_past_milestones_are_dropped() -> None:
    now = datetime(2026, 12, 20, 10, 0, tzinfo=UTC)
    first = planned_deliveries(DEFAULT_CADENCE, now)
    assert planned_deliveries(DEFAULT_CADENCE, now) == first
    later = planned_deliveries(DEFAULT_CADENCE, now + timedelta(hours=1))
    assert {d.dedupe_key for d in later} <= {d.dedupe_key for d in first}
    assert all(d.payload["reminder"] != "call" or d.payload["slot"] != "2027-01" for d in first)


def test_changed_cadence_makes_old_keys_stale() -> None:
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    old = planned_deliveries(DEFAULT_CADENCE, now)
    new = planned_deliveries(parse_cadence("2e jeudi des mois impairs à 10h"), now)
    pending = {d.dedupe_key for d in old}
    assert stale_keys(pending, new) == pending - {d.dedupe_key for d in new}
    assert stale_keys(pending, old) == set()
