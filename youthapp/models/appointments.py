"""Appointments between a young person and a mentor, and private calendar feeds of them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from youthapp.clock import utcnow
from youthapp.db import Base, IdMixin, TimestampMixin, one_of
from youthapp.models.users import User

APPOINTMENT_MODES = ("in_person", "phone", "video")
APPOINTMENT_STATUSES = ("scheduled", "attended", "missed", "cancelled")
YOUNG_PERSON_RESPONSES = ("pending", "confirmed", "declined", "reschedule_requested")


class Appointment(IdMixin, TimestampMixin, Base):
    __tablename__ = "appointments"
    __table_args__ = (
        one_of("mode", APPOINTMENT_MODES, name="mode"),
        one_of("status", APPOINTMENT_STATUSES, name="status"),
        one_of("young_person_response", YOUNG_PERSON_RESPONSES, name="young_person_response"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_appointments_mentor_time", "mentor_id", "starts_at"),
        Index("ix_appointments_young_person_time", "young_person_id", "starts_at"),
        Index("ix_appointments_status_time", "status", "starts_at"),
    )

    young_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("young_people.id"))
    mentor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    starts_at: Mapped[datetime]
    # Stored so that "does it overlap?" is a plain indexed range comparison.
    ends_at: Mapped[datetime]
    duration_minutes: Mapped[int]
    mode: Mapped[str] = mapped_column(String(10))
    location: Mapped[str | None] = mapped_column(String(200))
    # The borough it is in, checked against the young person's no-go boroughs; a booking
    # against them (or outside their windows) says why (staff-only, audited).
    borough: Mapped[str | None] = mapped_column(String(40))
    override_reason: Mapped[str | None] = mapped_column(Text)
    notes_for_young_person: Mapped[str | None] = mapped_column(Text)
    staff_notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="scheduled")
    young_person_response: Mapped[str] = mapped_column(String(25), default="pending")
    response_message: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancelled_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    attendance_recorded_at: Mapped[datetime | None]
    attendance_recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    # When the current time was set (booked or moved): reminders that fell due before it
    # are not sent late.
    timing_set_at: Mapped[datetime] = mapped_column(default=utcnow)
    # iCalendar SEQUENCE: rises with each change the young person's calendar must show.
    sequence: Mapped[int] = mapped_column(default=0)
    # The SEQUENCE when the time was last set: reminders are keyed by it, so a change that
    # is not to the time (a new mentor, a new place) does not send a reminder again.
    timing_sequence: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)

    mentor: Mapped[User] = relationship(foreign_keys=[mentor_id], lazy="raise")

    __mapper_args__ = {"version_id_col": version}


class CalendarFeed(Base):
    """A young person's private iCalendar feed. The URL's token is the feed id plus a keyed
    MAC of it: the database alone cannot rebuild a working URL, and replacing the feed id
    revokes every copy of the old one."""

    __tablename__ = "calendar_feeds"

    young_person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("young_people.id"), primary_key=True
    )
    feed_id: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
