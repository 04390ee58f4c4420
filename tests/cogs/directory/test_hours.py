"""Opening hours: Europe/Paris, French public holidays, "opens Tuesday at 9:00"."""

from __future__ import annotations

from datetime import UTC, datetime

from db.directory.hours import PARIS, describe_status, opening_status, parse_hours, weekly_table

HOURS = "Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def test_open_now_until_and_lunch_break() -> None:
    now = at(2026, 11, 10, 10, 0)  # Tuesday
    status = opening_status(HOURS, now)
    assert status.open_now and describe_status(status, now) == "🟢 Ouvert, jusqu'à 12:00"
    now = at(2026, 11, 10, 12, 30)
    status = opening_status(HOURS, now)
    assert not status.open_now
    assert describe_status(status, now) == "🔴 Fermé, ouvre aujourd'hui à 14:00"
    assert status.minutes_until_open(now) == 90


def test_weekend_names_the_day() -> None:
    now = at(2026, 11, 14, 13, 0)  # Saturday afternoon
    assert describe_status(opening_status(HOURS, now), now) == "🔴 Fermé, ouvre lundi à 9:00"
    assert (
        describe_status(opening_status(HOURS, now), now, "en") == "🔴 Closed, opens Monday at 9:00"
    )


def test_french_public_holidays_close_the_place() -> None:
    armistice = at(2026, 11, 11, 10, 0)  # a Wednesday
    status = opening_status(HOURS, armistice)
    assert not status.open_now and status.holiday == "Armistice"
    assert describe_status(status, armistice) == "🔴 Fermé (Armistice), ouvre demain à 9:00"
    christmas_eve = at(2026, 12, 24, 18, 0)  # Thursday; Friday 25 is Christmas
    assert "samedi" in describe_status(opening_status(HOURS, christmas_eve), christmas_eve)


def test_explicit_ph_rule_is_respected() -> None:
    armistice = at(2026, 11, 11, 10, 0)
    assert opening_status("Mo-Fr 09:00-12:00; PH 09:00-12:00", armistice).open_now


def test_utc_input_is_converted_to_paris() -> None:
    # 08:30 UTC = 09:30 in Paris in winter.
    assert opening_status(HOURS, datetime(2026, 11, 10, 8, 30, tzinfo=UTC)).open_now
    # 07:30 UTC in summer = 09:30 in Paris.
    assert opening_status(HOURS, datetime(2026, 7, 7, 7, 30, tzinfo=UTC)).open_now


def test_unknown_and_invalid_hours() -> None:
    now = at(2026, 11, 10, 10, 0)
    assert not opening_status(None, now).known
    assert not opening_status("Lundi 9h-12h", now).known
    assert parse_hours("Lundi 9h-12h") is None
    assert describe_status(opening_status("", now), now) == "Horaires non renseignés"
    assert opening_status("", now).minutes_until_open(now) == float("inf")


def test_weekly_table() -> None:
    table = dict(weekly_table(HOURS))
    assert table["lundi"] == "9:00–12:00, 14:00–17:00"
    assert table["samedi"] == "9:00–12:00"
    assert table["dimanche"] == "fermé"
    assert weekly_table("garbage") == []
