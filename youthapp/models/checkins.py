"""Check-ins, when they are expected, and "check on me" safety timers."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from youthapp.db import Base, IdMixin, TimestampMixin, one_of

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# "stopped": ended for them when their support was paused or they left the programme.
TIMER_STATUSES = ("running", "safe", "stopped")


class CheckIn(IdMixin, TimestampMixin, Base):
    __tablename__ = "check_ins"
    __table_args__ = (
        # A phone retrying the same check-in makes one, never two.
        UniqueConstraint("young_person_id", "client_ref", name="uq_check_ins_client_ref"),
        CheckConstraint("mood BETWEEN 1 AND 5", name="mood"),
        Index("ix_check_ins_young_person_time", "young_person_id", "created_at"),
        Index("ix_check_ins_updated", "young_person_id", "updated_at"),
    )

    young_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("young_people.id"))
    client_ref: Mapped[str] = mapped_column(String(64))
    mood: Mapped[int]
    feeling_safe: Mapped[bool]
    needs_help: Mapped[bool]
    note: Mapped[str | None] = mapped_column(Text)
    # Only with location sharing on, and then coarsened to about 100 metres.
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    alert_ids: Mapped[list[str]] = mapped_column(JSON, default=list)

    @property
    def location(self) -> dict[str, float] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return {"lat": self.latitude, "lon": self.longitude}

    @property
    def urgent(self) -> bool:
        return self.needs_help or not self.feeling_safe


class CheckInSchedule(Base):
    """When a young person is expected to check in: wall-clock time on some weekdays, in
    their zone. Occurrences before `effective_from` never count as missed."""

    __tablename__ = "check_in_schedules"

    young_person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("young_people.id"), primary_key=True
    )
    days: Mapped[list[str]] = mapped_column(JSON)
    local_time: Mapped[time] = mapped_column(Time())
    timezone: Mapped[str] = mapped_column(String(64))
    grace_minutes: Mapped[int]
    active: Mapped[bool] = mapped_column(index=True)
    effective_from: Mapped[datetime]
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class SafetyTimer(IdMixin, TimestampMixin, Base):
    """ "Check on me": if the young person has not pressed "I'm safe" by `expected_back_at`,
    their mentors are alerted."""

    __tablename__ = "safety_timers"
    __table_args__ = (
        one_of("status", TIMER_STATUSES, name="status"),
        # At most one running timer per young person.
        Index(
            "uq_safety_timers_running",
            "young_person_id",
            unique=True,
            postgresql_where=text("status = 'running'"),
            sqlite_where=text("status = 'running'"),
        ),
        Index("ix_safety_timers_due", "status", "expected_back_at"),
    )

    young_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("young_people.id"))
    expected_back_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="running")
    stopped_at: Mapped[datetime | None]
    alert_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("alerts.id"))
    # The young person's own changes: extensions (at most 3), with If-Match on `version`;
    # every event ({at, event, expected_back_at}) in `history`; when the ending warning went.
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    extensions: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    warned_at: Mapped[datetime | None]
