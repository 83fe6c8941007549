"""The audit trail: append-only, one row per staff access or account event."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from youthapp.clock import utcnow
from youthapp.db import Base, IdMixin


class AuditEvent(IdMixin, Base):
    """Who did what to which record, when and from where.

    No foreign keys: the trail must outlive the records it mentions (erasure keeps it).
    No case content either: `details` holds field names and ids, never values.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_young_person", "young_person_id", "occurred_at"),
        Index("ix_audit_events_actor", "actor_id", "occurred_at"),
    )

    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[uuid.UUID | None]
    actor_role: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(50))
    young_person_id: Mapped[uuid.UUID | None]
    object_type: Mapped[str | None] = mapped_column(String(30))
    object_id: Mapped[str | None] = mapped_column(String(64))
    client_address: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
