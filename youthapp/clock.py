"""The one place that reads the clock, and conversions between UTC and a user's wall clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(UTC)


def ensure_utc(moment: datetime) -> datetime:
    """An aware datetime in UTC; naive datetimes are refused rather than guessed at."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: a time zone offset is required")
    return moment.astimezone(UTC)


def local_to_utc(day: date, wall_clock: time, zone: ZoneInfo) -> datetime:
    """The UTC instant at which a wall clock in `zone` reads `wall_clock` on `day`.

    A wall-clock time that does not exist (skipped when clocks go forward) moves forward by
    the gap; one that happens twice (when clocks go back) is its first occurrence.
    """
    # With fold=0 zoneinfo applies the offset in force before a transition, which gives
    # exactly those two answers.
    return datetime.combine(day, wall_clock, tzinfo=zone).astimezone(UTC)


def utc_to_local(moment: datetime, zone: ZoneInfo) -> datetime:
    return ensure_utc(moment).astimezone(zone)
