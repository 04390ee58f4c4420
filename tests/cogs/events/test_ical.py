from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from cogs.events.ical import CalendarEntry, build_calendar, ics_filename, paris_vtimezone
from cogs.events.timing import paris_to_utc

NOW = datetime(2027, 2, 1, 8, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


def entry(**overrides: object) -> CalendarEntry:
    values: dict[str, object] = {
        "uid": "3f2a9c@aiguillage",
        "title": "COPIL inclusion numérique",
        "starts_at": paris_to_utc(datetime(2027, 4, 1, 14, 0)),
        "ends_at": paris_to_utc(datetime(2027, 4, 1, 16, 30)),
        "description": "Ordre du jour :\n1. Bilan du semestre\n2. Charte, version 2",
        "location": "Mairie de Mérignac, salle du conseil",
        "url": "https://visio.example.org/copil",
        "sequence": 0,
        "created_at": NOW,
        "updated_at": NOW,
        "categories": ("COPIL",),
    }
    values.update(overrides)
    return CalendarEntry(**values)  # type: ignore[arg-type]


def parse(data: bytes) -> Calendar:
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    return Calendar.from_ical(data)


def test_single_event_round_trips() -> None:
    calendar = parse(build_calendar([entry()], name="Réseau de Mérignac", now=NOW))
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Réseau de Mérignac"
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == "3f2a9c@aiguillage"
    assert vevent["DTSTART"].params["TZID"] == "Europe/Paris"
    assert vevent["DTEND"].params["TZID"] == "Europe/Paris"
    start = vevent.decoded("DTSTART")
    assert start == datetime(2027, 4, 1, 12, 0, tzinfo=UTC)
    assert (start.hour, start.utcoffset()) == (14, timedelta(hours=2))
    assert vevent.decoded("DTEND") - start == timedelta(hours=2, minutes=30)
    assert vevent.decoded("DTSTAMP") == NOW
    assert str(vevent["SUMMARY"]) == "COPIL inclusion numérique"
    assert str(vevent["LOCATION"]) == "Mairie de Mérignac, salle du conseil"
    assert str(vevent["URL"]) == "https://visio.example.org/copil"
    assert "2. Charte, version 2" in str(vevent["DESCRIPTION"])
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert int(vevent["SEQUENCE"]) == 0
    (vtimezone,) = calendar.walk("VTIMEZONE")
    assert str(vtimezone["TZID"]) == "Europe/Paris"


def test_cancelled_and_edited_events_keep_their_uid() -> None:
    data = build_calendar([entry(cancelled=True, sequence=3)], name="R", now=NOW)
    (vevent,) = parse(data).walk("VEVENT")
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert int(vevent["SEQUENCE"]) == 3
    assert str(vevent["UID"]) == "3f2a9c@aiguillage"


def test_feed_holds_every_event_and_one_timezone() -> None:
    entries = [entry(uid=f"e{n}@aiguillage", title=f"Atelier {n}") for n in range(5)]
    calendar = parse(build_calendar(entries, name="R", now=NOW, method=None))
    assert "METHOD" not in calendar
    assert [str(v["UID"]) for v in calendar.walk("VEVENT")] == [e.uid for e in entries]
    assert len(calendar.walk("VTIMEZONE")) == 1


def test_optional_fields_are_left_out() -> None:
    data = build_calendar(
        [entry(location=None, url=None, description="", categories=())], name="R", now=NOW
    )
    (vevent,) = parse(data).walk("VEVENT")
    for name in ("LOCATION", "URL", "DESCRIPTION", "CATEGORIES"):
        assert name not in vevent


def test_long_lines_are_folded_and_special_characters_escaped() -> None:
    long_title = "Temps fort ; " + "numérique, inclusion " * 10
    data = build_calendar([entry(title=long_title)], name="R", now=NOW)
    assert max(len(line) for line in data.split(b"\r\n")) <= 75
    (vevent,) = parse(data).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == long_title


@pytest.mark.parametrize("year", range(2025, 2036))
def test_vtimezone_agrees_with_the_tz_database(year: int) -> None:
    """Any client applying our VTIMEZONE gets the same offsets as zoneinfo."""
    tz = paris_vtimezone().to_tz()
    for month in range(1, 13):
        for day in (1, 15, 25, 28, 31):
            try:
                moment = datetime(year, month, day, 12, 0)
            except ValueError:
                continue
            assert (
                moment.replace(tzinfo=tz).utcoffset() == moment.replace(tzinfo=PARIS).utcoffset()
            ), moment


def test_ics_filename() -> None:
    start = paris_to_utc(datetime(2027, 4, 1, 14, 0))
    assert (
        ics_filename("COPIL n°3 : bilan & charte", start) == "copil-n-3-bilan-charte-2027-04-01.ics"
    )
    assert ics_filename("!!!", start) == "evenement-2027-04-01.ics"


def test_feed_dtstamp_is_the_last_revision_so_an_unchanged_feed_is_identical() -> None:
    revised = datetime(2027, 1, 15, 10, 0, tzinfo=UTC)
    entries = [entry(updated_at=revised)]
    first = build_calendar(entries, name="R", now=NOW, method=None)
    later = build_calendar(entries, name="R", now=NOW + timedelta(hours=5), method=None)
    assert first == later
    (vevent,) = parse(first).walk("VEVENT")
    assert vevent.decoded("DTSTAMP") == revised
    # A single download (METHOD:PUBLISH) is stamped when it is made.
    (single,) = parse(build_calendar(entries, name="R", now=NOW)).walk("VEVENT")
    assert single.decoded("DTSTAMP") == NOW
