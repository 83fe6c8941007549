"""Helpers more than one test module uses: a push device, an appointment booked through
the API, and what was sent to someone."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from tests.conftest import Caller
from youthapp.models import Device, Notification


def add_device(db, user_id: uuid.UUID, platform: str = "android", token: str | None = None):
    """A registered push device for `user_id`, stored directly."""
    token = token or f"token-{uuid.uuid4()}"
    device = Device(
        user_id=user_id,
        platform=platform,
        push_token=token,
        push_token_hash=hashlib.sha256(token.encode()).hexdigest(),
        last_seen_at=datetime.now(UTC),
    )
    db.add(device)
    db.commit()
    return device


def book(
    mentor: Caller, person_id: str, starts_at: datetime, minutes: int = 60, **extra: Any
) -> dict[str, Any]:
    """An appointment the mentor books with the young person, through the API."""
    response = mentor.post(
        "/api/v1/appointments",
        json={
            "young_person_id": person_id,
            "mentor_id": str(mentor.user.id),
            "starts_at": starts_at.isoformat(),
            "duration_minutes": minutes,
            "mode": "phone",
            **extra,
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def sent_to(db, caller: Caller, kind: str | None = None) -> list[Notification]:
    """What was sent to `caller` (of `kind`), oldest first, read afresh."""
    db.rollback()  # a fresh snapshot: the API wrote since
    query = select(Notification).where(Notification.user_id == caller.user.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(db.scalars(query.order_by(Notification.created_at)))


def kinds_sent_to(db, caller: Caller) -> list[str]:
    return [notification.kind for notification in sent_to(db, caller)]
