from datetime import UTC, date, datetime, time, timedelta

import pytest

from cogs.events.parsing import check_url, parse_date, parse_duration, parse_start, parse_time
from cogs.events.timing import TimingError

TODAY = date(2027, 2, 10)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12/03/2027", date(2027, 3, 12)),
        ("12/03/27", date(2027, 3, 12)),
        ("12-3-2027", date(2027, 3, 12)),
        ("2027-03-12", date(2027, 3, 12)),
        ("12 mars 2027", date(2027, 3, 12)),
        ("vendredi 12 mars 2027", date(2027, 3, 12)),
        ("1er avril", date(2027, 4, 1)),
        ("12 Février", date(2027, 2, 12)),
        ("5 fevrier", date(2028, 2, 5)),  # already past this year: next year
        ("12/03", date(2027, 3, 12)),
        ("3 déc.", date(2027, 12, 3)),
    ],
)
def test_parse_date_french_forms(text: str, expected: date) -> None:
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize("text", ["31/02/2027", "demain", "12 brumaire", "2027-13-01", "", "12"])
def test_parse_date_refuses(text: str) -> None:
    with pytest.raises(TimingError) as caught:
        parse_date(text, TODAY)
    assert caught.value.key == "events.error_date"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14h", time(14)),
        ("14h30", time(14, 30)),
        ("9 h 05", time(9, 5)),
        ("14:30", time(14, 30)),
        ("18", time(18)),
        ("10 heures", time(10)),
    ],
)
def test_parse_time(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["25h", "14h75", "midi", "", "14h3"])
def test_parse_time_refuses(text: str) -> None:
    with pytest.raises(TimingError):
        parse_time(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h", timedelta(hours=2)),
        ("1h30", timedelta(minutes=90)),
        ("90 min", timedelta(minutes=90)),
        ("45", timedelta(minutes=45)),
        ("3 heures", timedelta(hours=3)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["5 min", "100h", "longtemps", ""])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(TimingError):
        parse_duration(text)


def test_parse_start_is_paris_time_and_must_be_future() -> None:
    now = datetime(2027, 2, 10, 9, tzinfo=UTC)
    assert parse_start("12/07/2027", "14h", now) == datetime(2027, 7, 12, 12, tzinfo=UTC)
    assert parse_start("12/01/2028", "14h", now) == datetime(2028, 1, 12, 13, tzinfo=UTC)
    with pytest.raises(TimingError) as caught:
        parse_start("10/02/2027", "09h", now)  # 09:00 Paris is 08:00 UTC: past
    assert caught.value.key == "events.error_in_past"


def test_check_url() -> None:
    assert check_url(" https://visio.example.org/copil ") == "https://visio.example.org/copil"
    for bad in ("visio.example.org", "javascript:alert(1)", "https://", "ftp://x.org/a"):
        with pytest.raises(TimingError):
            check_url(bad)
