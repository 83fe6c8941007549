"""Alerts for staff: raised once per event, sent to the young person's mentors and to the
coordinators, acknowledged and resolved by them, and never shown to the young person."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from youthapp import access, audit
from youthapp.errors import Conflict, NotFound
from youthapp.models import (
    HIDDEN_FROM_YOUNG_PERSON,
    SHOWN_RESOLVED_AT,
    URGENT_KINDS,
    Alert,
    Notification,
    User,
    YoungPerson,
)
from youthapp.notify import outbox
from youthapp.services import notifications

ESCALATION = "urgent_help_unacknowledged"
# The audit trail's mark on an alert the young person must never see a trace of.
HIDDEN_ALERT = "alert.raised_hidden"
# A young person's own urgent alerts: what they see as their help requests, and what tells
# them when it has been seen.
HELP_REQUEST_KINDS = ("urgent_help", "feeling_unsafe", "safety_timer_expired")
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
        # Presses at the same moment take turns on the young person's row, so the second
        # finds the first's alert and folds into it (two transactions on PostgreSQL would
        # otherwise each see no open alert). NO KEY UPDATE does not wait on the key-share
        # locks that storing their check-ins took, so two presses cannot deadlock.
        session.execute(
            select(YoungPerson.id)
            .where(YoungPerson.id == young_person_id)
            .with_for_update(key_share=True)
        )
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
        # Lost to a twin holding the key; with no key, or no twin, the row itself was refused.
        twin = (
            session.scalar(select(Alert).where(Alert.dedupe_key == dedupe_key))
            if dedupe_key is not None
            else None
        )
        if twin is None:
            raise
        return twin
    if kind in HIDDEN_FROM_YOUNG_PERSON or alert.details.get("kind") in HIDDEN_FROM_YOUNG_PERSON:
        # Whoever holds the young person's phone must find no trace of this alert, nor of
        # its escalation: staff's work on either stays out of the access log (privacy.py).
        audit.record(
            session,
            None,
            HIDDEN_ALERT,
            young_person_id=young_person_id,
            subject=("alert", alert.id),
            now=now,
        )
    _notify_staff(session, alert, now)
    return alert


def _notify_staff(session: Session, alert: Alert, now: datetime) -> None:
    alert.last_notified_at = now
    _tell(session, access.alert_recipients(alert), alert, now)


def _tell(
    session: Session, recipients: Select[User], alert: Alert, now: datetime, **extra: Any
) -> None:
    """An alert message to each of `recipients` (`all_clear=True` for the all clear)."""
    for recipient in session.scalars(recipients):
        notifications.notify(
            session,
            recipient,
            "alert",
            now=now,
            subject_id=alert.id,
            data={"alert_id": str(alert.id), "kind": alert.kind, **extra},
            template="all_clear" if extra.get("all_clear") else "alert",
            kind_label=alert.kind,
        )


def hand_to_new_team(
    session: Session, young_person_id: uuid.UUID, team_id: uuid.UUID, *, now: datetime
) -> None:
    """The young person's case moved to `team_id`: whoever may no longer know of them is not
    pushed what is still unsent about their alerts, and the new team's coordinators are told
    of every alert still open, so that none waits unseen through the move."""
    alert_ids = select(Alert.id).where(Alert.young_person_id == young_person_id)
    still_told = access.staff_who_may_know(young_person_id).with_only_columns(User.id)
    outbox.withdraw_unsent_to_others(session, alert_ids, still_told)
    still_open = session.scalars(
        select(Alert)
        .where(Alert.young_person_id == young_person_id, Alert.status != "resolved")
        .order_by(Alert.created_at)
    )
    for alert in still_open:
        _tell(session, access.told_of_transfer(team_id), alert, now)


def all_clear(session: Session, alert_id: uuid.UUID, *, now: datetime) -> None:
    """The young person is safe after all: the alert and its escalation are resolved, so
    nothing escalates afterwards, and everyone who was told of either (and may still be
    told of this young person) gets an all clear."""
    alert = session.scalar(select(Alert).where(Alert.id == alert_id).with_for_update())
    if alert is None or alert.all_clear_at is not None:
        return
    alert.all_clear_at = now
    escalations = list(
        session.scalars(select(Alert).where(Alert.kind == ESCALATION, Alert.subject_id == alert.id))
    )
    for closed in (alert, *escalations):
        resolve_by_facts(session, closed, "all_clear", now=now)
    told = select(Notification.user_id).where(
        Notification.kind == "alert",
        Notification.subject_id.in_([closed.id for closed in (alert, *escalations)]),
    )
    in_scope = access.staff_who_may_know(alert.young_person_id).where(User.id.in_(told))
    _tell(session, in_scope, alert, now, all_clear=True)


def look_resolved_to_young_person(session: Session, alert_id: uuid.UUID, *, now: datetime) -> None:
    """The duress PIN stopped a timer that had alerted: staff keep the alert open, but the
    young person's list shows it resolved, exactly as a real stop would (PRODUCT.md: the
    phone may be in the hands of the danger)."""
    alert = session.get_one(Alert, alert_id)
    alert.details = {**alert.details, SHOWN_RESOLVED_AT: now.isoformat()}
    session.flush()


def resolve_by_facts(session: Session, alert: Alert, resolution: str, *, now: datetime) -> None:
    """Close an alert that the facts answered (no person resolved it, so no resolver)."""
    if alert.status == "resolved":
        return
    alert.status, alert.resolution = "resolved", resolution
    alert.resolved_at, alert.resolved_by_id = now, None
    alert.updated_at = now
    session.flush()
    audit.record(
        session,
        None,
        "alert.resolved",
        young_person_id=alert.young_person_id,
        subject=("alert", alert.id),
        details={"resolution": resolution},
        now=now,
    )


def resolve_open(
    session: Session,
    young_person_id: uuid.UUID,
    resolution: str,
    *,
    now: datetime,
    kinds: Collection[str] | None = None,
    dedupe_key: str | None = None,
) -> list[Alert]:
    """Resolve the young person's open or acknowledged alerts of `kinds` (or the one with
    `dedupe_key`) by the facts; returns them."""
    query = select(Alert).where(
        Alert.young_person_id == young_person_id, Alert.status != "resolved"
    )
    if kinds is not None:
        query = query.where(Alert.kind.in_(kinds))
    if dedupe_key is not None:
        query = query.where(Alert.dedupe_key == dedupe_key)
    resolved = list(session.scalars(query.order_by(Alert.created_at).with_for_update()))
    for alert in resolved:
        resolve_by_facts(session, alert, resolution, now=now)
    return resolved


def alerts_query(
    actor: User,
    *,
    status: str | None = None,
    kind: str | None = None,
    young_person_id: uuid.UUID | None = None,
) -> Select[Alert]:
    query = access.alerts_visible_to(actor)
    if status:
        query = query.where(Alert.status == status)
    if kind:
        query = query.where(Alert.kind == kind)
    if young_person_id:
        query = query.where(Alert.young_person_id == young_person_id)
    return query.order_by(Alert.urgent.desc(), Alert.created_at.desc(), Alert.id)


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
    """Someone is on it. Acknowledging again changes nothing; a resolved alert is closed.
    Acknowledging an escalation acknowledges the alert that went unanswered too."""
    alert = find_alert(session, actor, alert_id)
    if alert.status == "resolved":
        raise Conflict("This alert is already resolved.")
    if alert.status == "open":
        _acknowledge(session, actor, alert, now)
        if alert.kind == ESCALATION and alert.subject_id is not None:
            unanswered = session.scalar(
                select(Alert).where(Alert.id == alert.subject_id, Alert.status == "open")
            )
            if unanswered is not None:
                _acknowledge(session, actor, unanswered, now)
    return alert


def _acknowledge(session: Session, actor: User, alert: Alert, now: datetime) -> None:
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
    _tell_help_seen(session, alert, now)


def _tell_help_seen(session: Session, alert: Alert, now: datetime) -> None:
    """The young person who asked for help hears that someone has seen it."""
    if alert.kind not in HELP_REQUEST_KINDS:
        return
    young_person = notifications.account_of(session, alert.young_person_id)
    if young_person is not None:
        notifications.notify(
            session,
            young_person,
            "help_seen",
            now=now,
            subject_id=alert.id,
            data={"help_request_id": str(alert.id)},
        )


def resolve(
    session: Session, actor: User, alert_id: uuid.UUID, *, note: str, now: datetime
) -> Alert:
    alert = find_alert(session, actor, alert_id)
    if alert.status == "resolved":
        raise Conflict("This alert is already resolved.")
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by_id = now, actor.id
        _tell_help_seen(session, alert, now)
    alert.status, alert.resolution = "resolved", "staff"
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


def help_requests_query(actor: User) -> Select[Alert]:
    """The young person's own calls for help, newest first (the view leaves out what staff
    wrote and who they are)."""
    access.require_role(actor, access.YOUNG_PERSON)
    return (
        select(Alert)
        .where(
            Alert.young_person_id == actor.young_person_id,
            Alert.kind.in_(HELP_REQUEST_KINDS),
        )
        .order_by(Alert.created_at.desc(), Alert.id)
    )
