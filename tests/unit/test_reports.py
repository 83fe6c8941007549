"""Expected check-ins for the outcome report: counted without walking every day, yet always
the number of occurrences the missed-check-in sweep works from."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from time import perf_counter

import pytest

from youthapp.models import WEEKDAYS, CheckInSchedule
from youthapp.services import reports, schedules


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def by_walking(days, local_time, zone, start, end) -> int:
    walked = CheckInSchedule(days=list(days), local_time=local_time, timezone=zone)
    return len(list(schedules.occurrences(walked, start, end)))


@pytest.mark.parametrize(
    "zone",
    [
        "Europe/London",
        "America/Sao_Paulo",  # clocks changed at midnight: a day starting at 01:00
        "Pacific/Apia",  # skipped 30 December 2011 altogether
        "Australia/Lord_Howe",  # half-hour changes
        "Asia/Kolkata",
    ],
)
def test_expected_check_ins_match_the_occurrences_one_by_one(zone):
    rng = random.Random(zone)
    origin = at("2011-01-01T00:00:00Z")
    for _ in range(400):
        days = rng.sample(WEEKDAYS, rng.randint(0, 7))
        local_time = time(rng.randrange(24), rng.choice((0, 15, 30, 59)))
        start = origin + timedelta(minutes=rng.randrange(60 * 24 * 365 * 16))
        length = rng.choice(
            (
                timedelta(0),
                timedelta(minutes=1),
                timedelta(hours=1),
                timedelta(days=1),
                timedelta(days=3),
            )
        )
        end = start + length * rng.randint(1, 120)
        expected = by_walking(days, local_time, zone, start, end)
        assert reports.expected_check_ins(days, local_time, zone, start, end) == expected, (
            days,
            local_time,
            start,
            end,
        )


def test_across_the_clock_changes_and_the_edges_of_the_period():
    daily, six_pm = list(WEEKDAYS), time(18, 0)
    london = "Europe/London"
    year = (at("2027-01-01T00:00:00Z"), at("2028-01-01T00:00:00Z"))
    assert reports.expected_check_ins(daily, six_pm, london, *year) == 365
    assert reports.expected_check_ins(["mon"], six_pm, london, *year) == 52
    # 18:00 BST on 28 March 2027 is 17:00Z: a period ending at 17:00Z leaves it out.
    assert (
        reports.expected_check_ins(
            daily, six_pm, london, at("2027-03-28T00:00:00Z"), at("2027-03-28T17:00:00Z")
        )
        == 0
    )
    assert (
        reports.expected_check_ins(
            daily, six_pm, london, at("2027-03-28T17:00:00Z"), at("2027-03-28T17:00:01Z")
        )
        == 1
    )
    assert reports.expected_check_ins([], six_pm, london, *year) == 0
    assert reports.expected_check_ins(daily, six_pm, london, year[1], year[0]) == 0


def test_a_long_period_is_counted_quickly():
    # Twenty years for a thousand schedules would be seven million days to walk.
    start, end = at("2010-01-01T00:00:00Z"), at("2030-01-01T00:00:00Z")
    began = perf_counter()
    for _ in range(1000):
        reports.expected_check_ins(WEEKDAYS, time(18, 0), "Europe/London", start, end)
    assert perf_counter() - began < 2


@pytest.mark.parametrize(
    ("zone", "change"),
    [
        ("Pacific/Apia", "2011-12-30T00:00:00+14:00"),
        ("America/Sao_Paulo", "2018-11-04T00:00:00-03:00"),
        ("Europe/London", "2027-10-31T01:00:00Z"),
    ],
)
def test_periods_that_begin_or_end_near_a_clock_change(zone, change):
    moment = datetime.fromisoformat(change).astimezone(UTC)
    for local_time in (time(0, 0), time(0, 30), time(1, 0), time(23, 30)):
        for start_hours in range(-80, 80, 7):
            start = moment + timedelta(hours=start_hours)
            for length_hours in (1, 23, 24, 25, 49, 120, 24 * 9 + 5):
                end = start + timedelta(hours=length_hours)
                assert reports.expected_check_ins(
                    WEEKDAYS, local_time, zone, start, end
                ) == by_walking(WEEKDAYS, local_time, zone, start, end), (local_time, start, end)
