"""Alerts: something staff must act on, from open to acknowledged to resolved."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from youthapp.db import Base, IdMixin, TimestampMixin, one_of

ALERT_KINDS = (
    "urgent_help",
    "feeling_unsafe",
    "missed_check_in",
    "missed_appointment",
    "safety_timer_expired",
    "urgent_help_unacknowledged",
    "duress",
    "phone_compromised",
    "message_unanswered",
)
URGENT_KINDS = (
    "urgent_help",
    "feeling_unsafe",
    "safety_timer_expired",
    "duress",
    "phone_compromised",
)
# In an alert's (staff-only) details: when the young person's own list shows it resolved
# though it is not (the duress PIN stopped the timer that raised it).
SHOWN_RESOLVED_AT = "shown_resolved_to_young_person_at"
# Alerts the young person must never see any trace of: whoever holds their phone may be the
# danger (the duress PIN), so these are in none of their own views.
HIDDEN_FROM_YOUNG_PERSON = ("duress",)
ALERT_STATUSES = ("open", "acknowledged", "resolved")
# How an alert was closed: by a person, or by the facts (a late "I'm safe", attendance
# corrected, a late check-in, the young person leaving the programme).
ALERT_RESOLUTIONS = (
    "staff",
    "all_clear",
    "attendance_corrected",
    "checked_in_late",
    "young_person_exited",
    "answered",
)


class Alert(IdMixin, TimestampMixin, Base):
    __tablename__ = "alerts"
    __table_args__ = (
        one_of("status", ALERT_STATUSES, name="status"),
        Index("ix_alerts_young_person_status", "young_person_id", "status"),
        Index("ix_alerts_status_created", "status", "created_at"),
    )

    young_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("young_people.id"))
    kind: Mapped[str] = mapped_column(String(30))
    urgent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(12), default="open")
    # Staff-only: what happened, in words and facts. Never sent to a young person.
    summary: Mapped[str] = mapped_column(String(300))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    subject_type: Mapped[str | None] = mapped_column(String(20))
    subject_id: Mapped[uuid.UUID | None]
    occurrences: Mapped[int] = mapped_column(default=1)
    last_occurred_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(String(30))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    escalated_at: Mapped[datetime | None]
    # When staff were last told: a burst of urgent presses folds into one alert, and staff
    # are told again only after a pause, so they are neither flooded nor left unaware.
    last_notified_at: Mapped[datetime | None]
    all_clear_at: Mapped[datetime | None]
    # One alert per event ("missed_appointment:<id>"), however often it is raised.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)

    @property
    def status_shown_to_young_person(self) -> str:
        return "resolved" if self.resolved_at_shown_to_young_person else self.status

    @property
    def resolved_at_shown_to_young_person(self) -> datetime | None:
        shown = self.details.get(SHOWN_RESOLVED_AT)
        if self.resolved_at is not None or shown is None:
            return self.resolved_at
        return datetime.fromisoformat(shown)
