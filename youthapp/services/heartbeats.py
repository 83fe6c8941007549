"""Scheduler heartbeats: each sweep's last run, per scheduler process, kept in the database
so that the API's /metrics can say when each scheduler last worked and how long it took."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from youthapp.models import SchedulerHeartbeat

# A scheduler not heard from in this long is gone (restarted under another pid): its rows go.
FORGOTTEN_AFTER = timedelta(days=1)


def this_scheduler() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def beat(session: Session, sweep: str, *, now: datetime, duration_seconds: float) -> None:
    session.merge(
        SchedulerHeartbeat(
            scheduler=this_scheduler(),
            sweep=sweep,
            beat_at=now,
            duration_seconds=duration_seconds,
        )
    )


def forget_old(session: Session, *, now: datetime) -> int:
    result = session.execute(
        delete(SchedulerHeartbeat).where(SchedulerHeartbeat.beat_at < now - FORGOTTEN_AFTER)
    )
    return int(getattr(result, "rowcount", 0) or 0)
