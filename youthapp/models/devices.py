"""Devices registered for push notifications."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from youthapp.db import Base, IdMixin, TimestampMixin, one_of

PLATFORMS = ("ios", "android", "web")


class Device(IdMixin, TimestampMixin, Base):
    __tablename__ = "devices"
    __table_args__ = (one_of("platform", PLATFORMS, name="platform"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    platform: Mapped[str] = mapped_column(String(10))
    # An FCM/APNs registration token, or a Web Push subscription as JSON. One device,
    # one row: the same token again updates it, and moves it if the phone changed hands.
    push_token: Mapped[str] = mapped_column(Text)
    push_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_seen_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]
