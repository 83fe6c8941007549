"""Idempotency keys: a retried creating request replays its first answer, without secrets."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from youthapp.db import Base, IdMixin


class IdempotencyKey(IdMixin, Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "path", "key", name="uq_idempotency_keys_scope"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(300))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    # None while the first request is still running.
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    response_headers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    # While the first request runs, its claim is held until then; a request that died
    # (its process or its database gone) frees the key when the lease runs out.
    locked_until: Mapped[datetime | None]
    # Whom the answer is about, so that a replay is shown only to who may still see it, and
    # erasure removes it.
    young_person_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    referral_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
