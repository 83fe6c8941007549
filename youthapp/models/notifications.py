"""Notifications: messages to one user, shown in the app's inbox (and pushed, later)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from youthapp.clock import utcnow
from youthapp.db import Base, IdMixin

NOTIFICATION_KINDS = (
    "appointment_reminder",
    "appointment_booked",
    "appointment_changed",
    "appointment_cancelled",
    "appointment_response",
    "check_in_prompt",
    "plan_updated",
    "plan_review_due",
    "alert",
    "help_seen",
    "referral_submitted",
    "referral_decided",
    "account_change",
    "case_transferred",
    "consent_review",
    "safety_timer_ending",
    "message",
)


DELIVERY_STATUSES = ("pending", "sending", "sent", "parked", "withdrawn")


class Notification(IdMixin, Base):
    """One message to one user: a row in their inbox, and an entry in the push outbox."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_inbox", "user_id", "created_at"),
        Index("ix_notifications_outbox", "delivery_status", "deliver_after"),
        # The dispatcher's claim walks this in its own order: urgent ones, then the rest,
        # each oldest first.
        Index(
            "ix_notifications_due",
            "urgent",
            "deliver_after",
            "id",
            postgresql_where=text("delivery_status = 'pending'"),
            sqlite_where=text("delivery_status = 'pending'"),
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(String(500))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    # Makes "create this reminder" safe to run twice: a second insert is refused.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # What the notification is about, so a moved or cancelled appointment can withdraw its
    # reminders that have not gone out yet.
    subject_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    # The outbox: push waits until deliver_after (quiet hours); urgent ones never wait.
    urgent: Mapped[bool] = mapped_column(default=False)
    delivery_status: Mapped[str] = mapped_column(String(10), default="pending")
    deliver_after: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[datetime | None]
    delivered_device_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
