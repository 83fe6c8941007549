"""Alerts for staff: raised once per event, sent to the young person's mentors and to the
coordinators, acknowledged and resolved by them, and never shown to the young person."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from youthapp import access, audit
from youthapp.errors import Conflict, NotFound
from youthapp.models import URGENT_KINDS, Alert, Assignment, User
from youthapp.services import notifications

ESCALATION = "urgent_help_unacknowledged"
# A burst of presses within this pause is one message to staff, not one per press.
RENOTIFY_AFTER = timedelta(minutes=5)


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
    fold: bool = False,
) -> Alert:
    """Raise an alert and notify the staff in scope.

    The same event twice (same `dedupe_key`) is the first alert, and nobody is told again.
    With `fold`, a repeat while an alert of this kind is still open or acknowledged is
    counted on it (occurrences) instead of raising another.
    """
    existing = None
    if dedupe_key is not None:
        existing = session.scalar(select(Alert).where(Alert.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    if fold:
        existing = session.scalar(
            select(Alert)
            .where(
                Alert.young_person_id == young_person_id,
                Alert.kind == kind,
                Alert.status != "resolved",
            )
            .order_by(Alert.created_at.desc())
            .limit(1)
            .with_for_update()
        )
    if existing is not None:
        existing.occurrences += 1
        existing.last_occurred_at = existing.updated_at = now
        if existing.last_notified_at is None or now - existing.last_notified_at >= RENOTIFY_AFTER:
            _notify_staff(session, existing, now)
        return existing
    alert = Alert(
        young_person_id=young_person_id,
        kind=kind,
        urgent=kind in URGENT_KINDS or kind == ESCALATION,
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
    _notify_staff(session, alert, now)
    return alert


def _notify_staff(
    session: Session, alert: Alert, now: datetime, *, all_clear: bool = False
) -> None:
    alert.last_notified_at = now
    for recipient in staff_to_alert(session, alert.young_person_id):
        notifications.notify(
            session,
            recipient,
            "alert",
            now=now,
            data={
                "alert_id": str(alert.id),
                "kind": alert.kind,
                **({"all_clear": True} if all_clear else {}),
            },
            template="all_clear" if all_clear else "alert",
            kind_label=alert.kind,
        )


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


def all_clear(session: Session, alert_id: uuid.UUID, *, now: datetime) -> None:
    """The young person is safe after all: tell everyone who got the alert."""
    alert = session.get(Alert, alert_id)
    if alert is None or alert.all_clear_at is not None:
        return
    alert.all_clear_at = alert.updated_at = now
    _notify_staff(session, alert, now, all_clear=True)


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


def record_listed(session: Session, actor: User, shown: list[Alert]) -> None:
    audit.record_each(
        session, actor, "alert.listed", (("alert", a.id, a.young_person_id) for a in shown)
    )


def find_alert(session: Session, actor: User, alert_id: uuid.UUID) -> Alert:
    alert = session.scalar(access.alerts_visible_to(actor).where(Alert.id == alert_id))
    if alert is None:
        raise NotFound("No such alert.")
    return alert


def view_alert(session: Session, actor: User, alert_id: uuid.UUID) -> Alert:
    alert = find_alert(session, actor, alert_id)
    audit.staff_read(session, actor, "alert", alert)
    return alert


def acknowledge(session: Session, actor: User, alert_id: uuid.UUID, *, now: datetime) -> Alert:
    """Someone is on it. Acknowledging again changes nothing; a resolved alert is closed."""
    alert = find_alert(session, actor, alert_id)
    if alert.status == "resolved":
        raise Conflict("This alert is already resolved.")
    if alert.status == "open":
        alert.status = "acknowledged"
        alert.acknowledged_at, alert.acknowledged_by_id = now, actor.id
        alert.updated_at = now
        session.flush()
        audit.record(
            session,
            actor,
            "alert.acknowledged",
            young_person_id=alert.young_person_id,
            subject=("alert", alert.id),
            now=now,
        )
    return alert


def resolve(
    session: Session, actor: User, alert_id: uuid.UUID, *, note: str, now: datetime
) -> Alert:
    alert = find_alert(session, actor, alert_id)
    if alert.status == "resolved":
        raise Conflict("This alert is already resolved.")
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by_id = now, actor.id
    alert.status = "resolved"
    alert.resolved_at, alert.resolved_by_id, alert.resolution_note = now, actor.id, note
    alert.updated_at = now
    session.flush()
    audit.record(
        session,
        actor,
        "alert.resolved",
        young_person_id=alert.young_person_id,
        subject=("alert", alert.id),
        now=now,
    )
    return alert
