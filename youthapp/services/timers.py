""" "Check on me" safety timers: the young person says when they expect to be back safe;
if they have not pressed "I'm safe" by then, their mentors and the coordinators are alerted,
and an "all clear" follows if they press it late."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from youthapp import access
from youthapp.errors import Conflict, InvalidInput, NotFound
from youthapp.models import SafetyTimer, User, YoungPerson
from youthapp.services import alerts, people

LONGEST = timedelta(hours=24)


def start(
    session: Session, actor: User, *, expected_back_at: datetime, note: str | None, now: datetime
) -> SafetyTimer:
    access.require_role(actor, access.YOUNG_PERSON)
    if people.case_status(session, actor) != "active":
        # Nobody would be alerted: the sweeps skip a paused case.
        raise Conflict(
            "Your support is paused, so nobody would be alerted when the timer runs out. "
            "If you need help now, press the help button: it always reaches the team."
        )
    if not now < expected_back_at <= now + LONGEST:
        raise InvalidInput(
            "Choose a time later today or tomorrow.",
            errors={"expected_back_at": ["Must be in the next 24 hours."]},
        )
    timer = SafetyTimer(
        young_person_id=actor.young_person_id,
        expected_back_at=expected_back_at,
        note=note,
        status="running",
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(timer)
            session.flush()
    except IntegrityError:
        raise Conflict('A timer is already running. Press "I\'m safe" on it first.') from None
    return timer


def find_own(session: Session, actor: User, timer_id: uuid.UUID) -> SafetyTimer:
    timer = session.scalar(
        select(SafetyTimer).where(
            SafetyTimer.id == timer_id, SafetyTimer.young_person_id == actor.young_person_id
        )
    )
    if timer is None or actor.role != access.YOUNG_PERSON:
        raise NotFound("No such timer.")
    return timer


def mark_safe(session: Session, actor: User, timer_id: uuid.UUID, *, now: datetime) -> SafetyTimer:
    """Stop the timer. Pressing again changes nothing; if staff were already alerted, the
    alert is resolved as an all clear and everyone who was told hears so."""
    timer = find_own(session, actor, timer_id)
    if timer.status == "running":
        timer.status, timer.stopped_at, timer.updated_at = "safe", now, now
        session.flush()
        if timer.alert_id is not None:
            alerts.all_clear(session, timer.alert_id, now=now)
    return timer


def stop_running(session: Session, young_person_id: uuid.UUID, *, now: datetime) -> None:
    """Stop the young person's running timer, if any: their support was paused or ended,
    so no sweep would answer it."""
    timer = session.scalar(
        select(SafetyTimer)
        .where(SafetyTimer.young_person_id == young_person_id, SafetyTimer.status == "running")
        .with_for_update()
    )
    if timer is not None:
        timer.status, timer.stopped_at, timer.updated_at = "stopped", now, now
        session.flush()


def my_timers_query(actor: User) -> Select[SafetyTimer]:
    access.require_role(actor, access.YOUNG_PERSON)
    return (
        select(SafetyTimer)
        .where(SafetyTimer.young_person_id == actor.young_person_id)
        .order_by(SafetyTimer.created_at.desc(), SafetyTimer.id)
    )


def raise_expired(session: Session, *, now: datetime, batch_size: int = 500) -> int:
    """Alert staff about every running timer past its time. Safe to run twice or in
    parallel: one dedupe key per timer. Returns how many alerts it raised."""
    raised = 0
    due = session.scalars(
        select(SafetyTimer)
        .join(YoungPerson, YoungPerson.id == SafetyTimer.young_person_id)
        .where(
            SafetyTimer.status == "running",
            SafetyTimer.alert_id.is_(None),
            SafetyTimer.expected_back_at <= now,
            YoungPerson.status == "active",
        )
        .order_by(SafetyTimer.expected_back_at)
        .limit(batch_size)
        .with_for_update(of=SafetyTimer, skip_locked=True)
    )
    for timer in due:
        alert = alerts.raise_alert(
            session,
            timer.young_person_id,
            "safety_timer_expired",
            now=now,
            summary='Did not press "I\'m safe" in time',
            subject=("safety_timer", timer.id),
            dedupe_key=f"safety_timer_expired:{timer.id}",
            details={"expected_back_at": timer.expected_back_at.isoformat(), "note": timer.note},
        )
        timer.alert_id = alert.id
        raised += 1
    session.flush()
    return raised
