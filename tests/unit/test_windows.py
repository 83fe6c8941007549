"""Contact windows: when the next one opens, as the young person's wall clock reads it, right
across the days the clocks change."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from youthapp import windows
from youthapp.windows import DAYS, is_open, next_open

LONDON = ZoneInfo("Europe/London")
DAYTIME = [{"days": list(DAYS), "from": "09:00", "to": "17:00"}]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Saturday 30 October 2027, 21:00 BST: the next 09:00 is Sunday's, after the clocks
        # went back, so 09:00 GMT.
        ("2027-10-30T20:00:00Z", "2027-10-31T09:00:00Z"),
        # The hour that happens twice (01:30 BST, then 01:30 GMT): still Sunday 09:00 GMT.
        ("2027-10-31T00:30:00Z", "2027-10-31T09:00:00Z"),
        ("2027-10-31T01:30:00Z", "2027-10-31T09:00:00Z"),
        # Friday evening in BST: Saturday 09:00 BST.
        ("2027-10-29T18:00:00Z", "2027-10-30T08:00:00Z"),
        # Spring: Saturday 27 March 2027 18:00 GMT; Sunday 09:00 is BST.
        ("2027-03-27T18:00:00Z", "2027-03-28T08:00:00Z"),
    ],
)
def test_the_next_window_opens_at_its_wall_clock_time(now, expected):
    assert next_open(DAYTIME, LONDON, utc(now)) == utc(expected)


def test_inside_a_window_is_now_and_no_windows_is_always_now():
    inside = utc("2027-10-31T12:00:00Z")
    assert is_open(DAYTIME, LONDON, inside)
    assert next_open(DAYTIME, LONDON, inside) == inside
    assert next_open(None, LONDON, inside) == inside
    assert next_open([], LONDON, inside) == inside
    # 16:30 GMT on the day of the change is inside, 17:00 GMT is not.
    assert is_open(DAYTIME, LONDON, utc("2027-10-31T16:30:00Z"))
    assert not is_open(DAYTIME, LONDON, utc("2027-10-31T17:00:00Z"))
    # The day before, 16:30 UTC is 17:30 BST: outside.
    assert not is_open(DAYTIME, LONDON, utc("2027-10-30T16:30:00Z"))


def test_a_start_in_the_repeated_hour_is_its_first_occurrence():
    early = [{"days": ["sun"], "from": "01:30", "to": "03:00"}]
    assert next_open(early, LONDON, utc("2027-10-30T12:00:00Z")) == utc("2027-10-31T00:30:00Z")


def test_a_start_in_the_skipped_hour_moves_on_by_the_gap():
    early = [{"days": ["sun"], "from": "01:30", "to": "03:00"}]
    assert next_open(early, LONDON, utc("2027-03-27T12:00:00Z")) == utc("2027-03-28T01:30:00Z")


def test_only_the_named_days():
    mondays = [{"days": ["mon"], "from": "18:00", "to": "20:00"}]
    # Tuesday 2 November 2027: next Monday, 8 November, 18:00 GMT.
    assert next_open(mondays, LONDON, utc("2027-11-02T10:00:00Z")) == utc("2027-11-08T18:00:00Z")
    assert not is_open(mondays, LONDON, utc("2027-11-02T18:30:00Z"))
    assert is_open(mondays, LONDON, utc("2027-11-08T18:30:00Z"))


def test_a_window_past_midnight_belongs_to_the_day_it_starts():
    friday_night = [{"days": ["fri"], "from": "22:00", "to": "02:00"}]
    # Friday 29 October 2027 23:00 BST, and Saturday 01:00 BST: open.
    assert is_open(friday_night, LONDON, utc("2027-10-29T22:00:00Z"))
    assert is_open(friday_night, LONDON, utc("2027-10-30T00:00:00Z"))
    # Saturday 22:30 BST is not Friday night.
    assert not is_open(friday_night, LONDON, utc("2027-10-30T21:30:00Z"))
    # From Saturday, the next is the following Friday 22:00 GMT.
    assert next_open(friday_night, LONDON, utc("2027-10-30T12:00:00Z")) == utc(
        "2027-11-05T22:00:00Z"
    )


def test_the_earliest_of_several_windows():
    several = [
        {"days": ["sat", "sun"], "from": "11:00", "to": "13:00"},
        {"days": ["sun"], "from": "08:00", "to": "09:00"},
    ]
    assert next_open(several, LONDON, utc("2027-10-30T14:00:00Z")) == utc("2027-10-31T08:00:00Z")


def test_another_zone():
    new_york = ZoneInfo("America/New_York")
    # New York's clocks go back a week after London's, on 7 November 2027.
    assert next_open(DAYTIME, new_york, utc("2027-11-06T23:00:00Z")) == utc("2027-11-07T14:00:00Z")
    assert next_open(DAYTIME, new_york, utc("2027-11-05T23:00:00Z")) == utc("2027-11-06T13:00:00Z")


def test_quiet_hours_are_the_window_between_them():
    window = windows.from_quiet_hours(time(22, 0), time(7, 0))
    assert window == [{"days": list(DAYS), "from": "07:00", "to": "22:00"}]
    assert windows.as_quiet_hours(window) == (time(22, 0), time(7, 0))
    assert windows.as_quiet_hours(DAYTIME[:1] + DAYTIME[:1]) is None
    assert windows.as_quiet_hours([{**DAYTIME[0], "days": ["mon"]}]) is None
    assert windows.as_quiet_hours(None) is None
    # Quiet from 22:00 Saturday 30 October 2027: the next message may go at 07:00 GMT Sunday.
    assert next_open(window, LONDON, utc("2027-10-30T21:30:00Z")) == utc("2027-10-31T07:00:00Z")


def test_problems():
    assert windows.problems(DAYTIME) == []
    assert windows.problems([{"days": ["mon"], "from": "09:00", "to": "09:00"}])
    assert windows.problems([{"days": [], "from": "09:00", "to": "10:00"}])
    assert windows.problems(DAYTIME * (windows.MAX_WINDOWS + 1))
