"""Contact windows: the wall-clock times, in a user's own zone, when non-urgent messages may
reach them. A window is `{"days": [...], "from": "HH:MM", "to": "HH:MM"}`; one whose `to` is
earlier than its `from` runs past midnight into the next day. No windows: any time.

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
        if start < end:
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


def _time(text: str) -> time:
    return time.fromisoformat(text)


def _text(moment: time) -> str:
    return moment.strftime("%H:%M")
