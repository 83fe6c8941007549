"""Each scheduler's last run of each sweep: what /metrics reports as heartbeats."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from youthapp.db import Base


class SchedulerHeartbeat(Base):
    __tablename__ = "scheduler_heartbeats"

    # hostname:pid of the scheduler process.
    scheduler: Mapped[str] = mapped_column(String(120), primary_key=True)
    sweep: Mapped[str] = mapped_column(String(40), primary_key=True)
    beat_at: Mapped[datetime]
    duration_seconds: Mapped[float] = mapped_column(Float)
