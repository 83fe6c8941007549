"""One scheduler tick in a process of its own, so that bench.reminders can read its peak memory.

    .venv/bin/python -m bench.scheduler_process --database-url URL --at 2027-01-11T12:00:00+00:00

Every sweep once and a dispatch (scheduler.jobs.run_all_once), then more dispatches until
nothing is left to claim, with a push sender that only counts. Prints one JSON line: the
sweeps' counts, the reminders delivered, the pushes, and the process's peak resident
memory (VmHWM) after start-up, after each sweep and at the end.
"""

from __future__ import annotations

import argparse
import json
import logging
from datetime import datetime
from pathlib import Path

from scheduler.jobs import SchedulerContext, dispatch, run_all_once
from youthapp.clock import ensure_utc
from youthapp.config import Settings
from youthapp.db import make_engine, make_session_factory
from youthapp.notify.senders import Outcome, PushMessage


class CountingSender:
    """Says every push was delivered and keeps only how many: keeping the messages would
    grow with the outbox and hide the scheduler's own memory."""

    platforms = ("android", "ios", "web")

    def __init__(self) -> None:
        self.pushes = 0

    def send(self, push_token: str, message: PushMessage) -> Outcome:
        self.pushes += 1
        return Outcome.DELIVERED


def peak_rss_kib() -> int:
    """VmHWM, this process's own high-water mark. (The parent's os.wait4 ru_maxrss is no
    use here: Linux counts the parent's memory at the fork into the child's.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


class PeakAfterEachSweep(logging.Handler):
    """Notes the peak when run_sweep logs that a sweep has finished ("<name> at <time>:
    <count>"), so the report can say which sweep raised it, without running them apart."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.peaks: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.args, tuple) and record.args:
            self.peaks[str(record.args[0])] = peak_rss_kib()


def scheduler_context(database_url: str, sender: CountingSender) -> SchedulerContext:
    """What `youthapp scheduler run-once` builds, minus the Flask app around it."""
    settings = Settings(database_url=database_url)
    engine = make_engine(database_url, hide_parameters=True)
    return SchedulerContext(settings, engine, make_session_factory(engine), [sender])


def run_tick(context: SchedulerContext, now: datetime) -> dict[str, int]:
    counts = run_all_once(context, now)
    while (report := dispatch(context, now)).claimed:
        counts["delivered"] += report.sent
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scheduler_process", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--at", required=True, help="the clock, ISO 8601 with an offset")
    args = parser.parse_args(argv)
    now = ensure_utc(datetime.fromisoformat(args.at))

    sender = CountingSender()
    context = scheduler_context(args.database_url, sender)
    peaks = PeakAfterEachSweep()
    scheduler_log = logging.getLogger("scheduler")
    scheduler_log.addHandler(peaks)
    scheduler_log.setLevel(logging.INFO)
    started_kib = peak_rss_kib()
    try:
        counts = run_tick(context, now)
    finally:
        context.engine.dispose()
    print(
        json.dumps(
            {
                "counts": counts,
                "pushes": sender.pushes,
                "peak_at_start_kib": started_kib,
                "peak_after_sweep_kib": peaks.peaks,
                # The kernel's counters lag a little, so a later reading can come out a
                # few pages under an earlier one: the peak is the highest seen.
                "peak_kib": max(peak_rss_kib(), started_kib, *peaks.peaks.values()),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
