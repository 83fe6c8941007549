"""Alerts for staff: raised once per event, sent to the young person's mentors and to the
coordinators, and never shown to the young person."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from youthapp import access
from youthapp.models import URGENT_KINDS, Alert, Assignment, User
from youthapp.services import notifications


def raise_alert(
    session: Session,
    young_person_id: uuid.UUID,
    kind: str,
    *,
    summary: str,
    now: datetime,
    details: Mapping[str, Any] | None = None,
    subject: tuple[str, uuid.UUID] | None = None,
    dedupe_key: str | None = None,
) -> Alert:
    """Raise an alert and notify the staff in scope; raising the same event twice (same
    `dedupe_key`) returns the first alert and notifies nobody again."""
    if dedupe_key is not None:
        existing = session.scalar(select(Alert).where(Alert.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    alert = Alert(
        young_person_id=young_person_id,
        kind=kind,
        urgent=kind in URGENT_KINDS,
        status="open",
        summary=summary,
        details=dict(details or {}),
        last_occurred_at=now,
        subject_type=subject[0] if subject else None,
        subject_id=subject[1] if subject else None,
        dedupe_key=dedupe_key,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():  # a racing twin with the same key loses cleanly
            session.add(alert)
            session.flush()
    except IntegrityError:
        return session.scalar(select(Alert).where(Alert.dedupe_key == dedupe_key))
    for recipient in staff_to_alert(session, young_person_id):
        notifications.notify(
            session,
            recipient,
            "alert",
            now=now,
            data={"alert_id": str(alert.id), "kind": kind},
            dedupe_key=f"alert:{alert.id}:{recipient.id}",
            kind_label=kind,
        )
    return alert


def staff_to_alert(session: Session, young_person_id: uuid.UUID) -> list[User]:
    """The young person's live mentors and every active coordinator."""
    mentors = select(Assignment.mentor_id).where(
        Assignment.young_person_id == young_person_id, Assignment.ended_at.is_(None)
    )
    return list(
        session.scalars(
            select(User)
            .where(
                User.is_active.is_(True),
                (User.role == access.COORDINATOR)
                | (User.id.in_(mentors) & (User.role == access.MENTOR)),
            )
            .order_by(User.id)
        )
    )


def alerts_query(
    actor: User,
    *,
    status: str | None = None,
    kind: str | None = None,
    young_person_id: uuid.UUID | None = None,
) -> Select[tuple[Alert]]:
    query = access.alerts_visible_to(actor)
    if status:
        query = query.where(Alert.status == status)
    if kind:
        query = query.where(Alert.kind == kind)
    if young_person_id:
        query = query.where(Alert.young_person_id == young_person_id)
    return query.order_by(Alert.urgent.desc(), Alert.created_at.desc(), Alert.id)
