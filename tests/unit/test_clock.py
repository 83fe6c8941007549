"""Wall-clock times in a user's zone turned into UTC instants, daylight-saving days included."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from youthapp.clock import ensure_utc, is_time_zone, local_to_utc, utc_to_local, utcnow

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("day", "wall_clock", "expected"),
    [
        # An ordinary winter day: London is on GMT.
        (date(2026, 1, 14), time(18, 0), datetime(2026, 1, 14, 18, 0, tzinfo=UTC)),
        # An ordinary summer day: London is on BST, an hour ahead.
        (date(2026, 7, 14), time(18, 0), datetime(2026, 7, 14, 17, 0, tzinfo=UTC)),
        # The days the clocks change, away from the change itself.
        (date(2026, 3, 29), time(18, 0), datetime(2026, 3, 29, 17, 0, tzinfo=UTC)),
        (date(2026, 10, 25), time(18, 0), datetime(2026, 10, 25, 18, 0, tzinfo=UTC)),
        # Spring forward: 01:00 GMT becomes 02:00 BST, so 01:30 never happens; it is taken
        # to mean 02:30 BST, the same moment as 01:30 GMT would have been.
        (date(2026, 3, 29), time(1, 30), datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
        # Fall back: 02:00 BST becomes 01:00 GMT, so 01:30 happens twice; the first (BST) counts.
        (date(2026, 10, 25), time(1, 30), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    ],
)
def test_local_to_utc_in_london(day, wall_clock, expected):
    instant = local_to_utc(day, wall_clock, LONDON)
    assert instant == expected
    assert instant.tzinfo is UTC


def test_the_skipped_time_moves_forward_by_the_gap():
    instant = local_to_utc(date(2026, 3, 29), time(1, 30), LONDON)
    local = utc_to_local(instant, LONDON)
    assert (local.hour, local.minute) == (2, 30)
    assert local.utcoffset() == timedelta(hours=1)


def test_the_repeated_time_is_its_first_occurrence_even_when_asked_for_the_second():
    first = local_to_utc(date(2026, 10, 25), time(1, 30), LONDON)
    also_first = local_to_utc(date(2026, 10, 25), time(1, 30, fold=1), LONDON)
    assert also_first == first == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    # The second 01:30 is an hour later, and both read 01:30 on a London clock.
    second = first + timedelta(hours=1)
    assert utc_to_local(second, LONDON).time() == time(1, 30)


def test_daily_occurrences_across_the_spring_change_keep_their_wall_clock_time():
    days = [date(2026, 3, 28) + timedelta(days=n) for n in range(3)]
    instants = [local_to_utc(day, time(18, 0), LONDON) for day in days]
    assert [utc_to_local(i, LONDON).time() for i in instants] == [time(18, 0)] * 3
    # ...which means the day of the change is only 23 hours long.
    assert instants[1] - instants[0] == timedelta(hours=23)
    assert instants[2] - instants[1] == timedelta(hours=24)


def test_a_wall_clock_time_with_its_own_zone_is_refused():
    with pytest.raises(ValueError):
        local_to_utc(date(2026, 1, 14), time(18, 0, tzinfo=UTC), LONDON)


def test_ensure_utc_refuses_naive_times():
    with pytest.raises(ValueError, match="naive"):
        ensure_utc(datetime(2026, 1, 14, 18, 0))  # noqa: DTZ001
    with pytest.raises(ValueError, match="naive"):
        utc_to_local(datetime(2026, 1, 14, 18, 0), LONDON)  # noqa: DTZ001


def test_ensure_utc_converts_aware_times_to_utc():
    moment = datetime(2026, 7, 14, 19, 0, tzinfo=timezone(timedelta(hours=2)))
    converted = ensure_utc(moment)
    assert converted == moment
    assert converted.tzinfo is UTC
    assert converted.hour == 17


def test_utcnow_is_aware_utc():
    assert utcnow().tzinfo is UTC


@pytest.mark.parametrize(
    ("name", "known"),
    [
        ("Europe/London", True),
        ("America/Argentina/Buenos_Aires", True),
        ("UTC", True),
        ("Europe/Narnia", False),
        ("europe/london", False),
        ("", False),
        (None, False),
        ("localtime", False),
        ("../../etc/passwd", False),
        ("a/" * 3000 + "b", False),
    ],
)
def test_is_time_zone(name, known):
    assert is_time_zone(name) is known
