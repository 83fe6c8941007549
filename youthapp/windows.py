"""Contact windows: the wall-clock times, in a user's own zone, when non-urgent messages may
reach them. A window is `{"days": [...], "from": "HH:MM", "to": "HH:MM"}`; one whose `to` is
earlier than its `from` runs past midnight into the next day, and one whose `to` is its
`from` lasts the whole 24 hours (configuration's "00:00-24:00"). No windows: any time.

Quiet hours are the same thing seen from the other side: quiet from 22:00 to 07:00 is one
window every day from 07:00 to 22:00.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from youthapp.clock import local_to_utc

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_WINDOWS = 21

Window = dict[str, Any]


def from_quiet_hours(start: time, end: time) -> list[Window]:
    return [{"days": list(DAYS), "from": _text(end), "to": _text(start)}]


def as_quiet_hours(windows: Sequence[Window] | None) -> tuple[time, time] | None:
    """(start, end) of the quiet hours these windows are, if they are one window every day."""
    if not windows or len(windows) != 1 or sorted(windows[0]["days"], key=DAYS.index) != list(DAYS):
        return None
    return _time(windows[0]["to"]), _time(windows[0]["from"])


def problems(windows: Sequence[Window]) -> list[str]:
    """What is wrong with windows as given (empty: nothing)."""
    found = []
    if len(windows) > MAX_WINDOWS:
        found.append(f"At most {MAX_WINDOWS} windows.")
    for number, window in enumerate(windows, start=1):
        if not window["days"]:
            found.append(f"Window {number}: name at least one day.")
        if window["from"] == window["to"]:
            found.append(f"Window {number}: `from` and `to` must differ.")
    return found


def is_open(windows: Sequence[Window] | None, zone: ZoneInfo, moment: datetime) -> bool:
    if not windows:
        return True
    local = moment.astimezone(zone)
    clock, day = local.time().replace(tzinfo=None, fold=0), DAYS[local.weekday()]
    yesterday = DAYS[(local.weekday() - 1) % 7]
    for window in windows:
        start, end = _time(window["from"]), _time(window["to"])
        if start == end:
            if (day in window["days"] and clock >= start) or (
                yesterday in window["days"] and clock < end
            ):
                return True
        elif start < end:
            if day in window["days"] and start <= clock < end:
                return True
        elif (day in window["days"] and clock >= start) or (
            yesterday in window["days"] and clock < end
        ):
            return True
    return False


def next_open(windows: Sequence[Window] | None, zone: ZoneInfo, now: datetime) -> datetime:
    """`now` if a window is open, otherwise the start of the next one (right across
    daylight-saving changes: each start is that wall-clock time on its own day)."""
    if is_open(windows, zone, now):
        return now
    assert windows  # no windows is always open
    today = now.astimezone(zone).date()
    starts = [
        local_to_utc(today + timedelta(days=offset), _time(window["from"]), zone)
        for offset in range(8)
        for window in windows
        if DAYS[(today + timedelta(days=offset)).weekday()] in window["days"]
    ]
    later = [start for start in starts if start > now]
    return min(later) if later else now


def last_closed(windows: Sequence[Window], zone: ZoneInfo, now: datetime) -> datetime | None:
    """When the last window to have closed closed, at or before `now` (None if none did in
    the past week)."""
    today = now.astimezone(zone).date()
    ends = []
    for offset in range(-8, 1):
        day = today + timedelta(days=offset)
        for window in windows:
            if DAYS[day.weekday()] not in window["days"]:
                continue
            start, end = _time(window["from"]), _time(window["to"])
            ends.append(local_to_utc(day if start < end else day + timedelta(days=1), end, zone))
    past = [end for end in ends if end <= now]
    return max(past) if past else None


def parse(text: str) -> list[Window]:
    """Windows written as in configuration: "mon-fri 09:00-21:00, sat 10:00-16:00" (days
    as a range or a list joined by "+", such as "mon+wed"). ValueError when unreadable."""
    found = []
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        try:
            days_text, hours = part.split()
            start, end = hours.split("-")
            window = {"days": _days(days_text.lower()), "from": _hhmm(start), "to": _hhmm(end)}
        except ValueError:
            raise ValueError(f"{part!r}: write it like 'mon-fri 09:00-21:00'") from None
        found.append(window)
    if not found:
        raise ValueError("no hours given")
    return found


def _days(text: str) -> list[str]:
    days: list[str] = []
    for piece in text.split("+"):
        if "-" in piece:
            first, last = piece.split("-")
            start, stop = DAYS.index(first), DAYS.index(last)
            days.extend(DAYS[(start + i) % 7] for i in range((stop - start) % 7 + 1))
        else:
            days.append(DAYS[DAYS.index(piece)])
    return list(dict.fromkeys(days))


def _hhmm(text: str) -> str:
    if text == "24:00":
        return "00:00"
    return _text(time.fromisoformat(text))


def _time(text: str) -> time:
    return time.fromisoformat(text)


def _text(moment: time) -> str:
    return moment.strftime("%H:%M")
