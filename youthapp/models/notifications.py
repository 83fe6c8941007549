"""Notifications: messages to one user, shown in the app's inbox (and pushed, later)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
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
)


class Notification(IdMixin, Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_inbox", "user_id", "created_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(String(500))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    # Makes "create this reminder" safe to run twice: a second insert is refused.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
