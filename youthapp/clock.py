"""The one place that reads the clock, and conversions between UTC and a user's wall clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

# Longer than any IANA name; checked first because ZoneInfo() recurses once per "/" of a
# name it cannot find, so a long enough made-up name raises RecursionError.
MAX_ZONE_NAME_LENGTH = 64

# The programme is in London: the zone of wall-clock settings nobody has set.
DEFAULT_ZONE = "Europe/London"


def utcnow() -> datetime:
    return datetime.now(UTC)


def ensure_utc(moment: datetime) -> datetime:
    """An aware datetime in UTC; naive datetimes are refused rather than guessed at."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: a time zone offset is required")
    return moment.astimezone(UTC)


def is_time_zone(name: object) -> bool:
    """Whether `name` is an IANA time zone such as "Europe/London".

    Only names in the time zone database count: ZoneInfo() also opens files that are not
    places, such as "localtime" (whatever zone the server happens to be set to).
    """
    return isinstance(name, str) and len(name) <= MAX_ZONE_NAME_LENGTH and name in _zone_names()


@cache
def _zone_names() -> frozenset[str]:
    # available_timezones() lists every zone file it finds, and on Debian that includes
    # "localtime", a link to the server's own /etc/localtime.
    return frozenset(available_timezones()) - {"localtime", "posixrules"}


def local_to_utc(day: date, wall_clock: time, zone: ZoneInfo) -> datetime:
    """The UTC instant at which a wall clock in `zone` reads `wall_clock` on `day`.

    A wall-clock time that does not exist (skipped when clocks go forward) moves forward by
    the gap; one that happens twice (when clocks go back) is its first occurrence.
    """
    if wall_clock.tzinfo is not None:
        raise ValueError("a wall-clock time carries no zone of its own; pass the zone")
    # With fold=0 zoneinfo applies the offset in force before a transition, which gives
    # exactly those two answers; a time that arrives with fold=1 must not pick the second.
    return datetime.combine(day, wall_clock.replace(fold=0), tzinfo=zone).astimezone(UTC)


def utc_to_local(moment: datetime, zone: ZoneInfo) -> datetime:
    return ensure_utc(moment).astimezone(zone)


def describe_local(moment: datetime, zone_name: str) -> str:
    """A moment as a person in `zone_name` reads it: "Tue 1 Dec, 18:00"."""
    local = ensure_utc(moment).astimezone(ZoneInfo(zone_name))
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"
