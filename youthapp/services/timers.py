""" "Check on me" safety timers: the young person says when they expect to be back safe;
if they have not pressed "I'm safe" by then, their mentors and the coordinators are alerted,
and an "all clear" follows if they press it late."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from youthapp import access
from youthapp.errors import Conflict, InvalidInput, NotFound
from youthapp.models import SafetyTimer, User, YoungPerson
from youthapp.services import alerts, notifications, people, pins
from youthapp.services.passwords import PasswordHashing
from youthapp.services.versions import check_version

LONGEST = timedelta(hours=24)
MAX_EXTENSIONS = 3
TIMER_EVENTS = ("started", "extended", "safe", "stopped", "expired")
# The young person is warned this long before their time is up (never held back).
WARNING = timedelta(minutes=10)


def _log(timer: SafetyTimer, event: str, now: datetime) -> None:
    """Add a line to the timer's own history, as the young person sees it."""
    timer.history = [
        *timer.history,
        {
            "at": now.isoformat(),
            "event": event,
            "expected_back_at": timer.expected_back_at.isoformat(),
        },
    ]


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
        history=[],
    )
    _log(timer, "started", now)
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


def mark_safe(
    session: Session,
    actor: User,
    timer_id: uuid.UUID,
    *,
    now: datetime,
    pin: str | None = None,
    hashing: PasswordHashing | None = None,
    session_id: uuid.UUID | str | None = None,
) -> SafetyTimer:
    """Stop the timer. Pressing again changes nothing; if staff were already alerted, the
    alert is resolved as an all clear and everyone who was told hears so.

    Once the young person has PINs, stopping takes one. The duress PIN stops it exactly as
    the app PIN does to anyone watching, but raises a duress alert and resolves nothing."""
    timer = find_own(session, actor, timer_id)
    duress = False
    if pins.has_pins(actor):
        if not pin or hashing is None or session_id is None:
            raise InvalidInput("Enter your PIN.", errors={"pin": ["Your PIN is needed."]})
        duress = pins.check(
            session,
            hashing,
            actor,
            pin,
            session_id=session_id,
            now=now,
            about=("safety_timer", timer.id),
        )
    if timer.status == "running":
        timer.status, timer.stopped_at, timer.updated_at = "safe", now, now
        timer.version += 1
        _log(timer, "safe", now)
        session.flush()
        if timer.alert_id is not None and duress:
            alerts.look_resolved_to_young_person(session, timer.alert_id, now=now)
        elif timer.alert_id is not None:
            alerts.all_clear(session, timer.alert_id, now=now)
    return timer


def extend(
    session: Session,
    actor: User,
    timer_id: uuid.UUID,
    *,
    expected_back_at: datetime,
    if_match: Collection[str],
    now: datetime,
) -> SafetyTimer:
    """The young person needs longer: a later time, up to 24 hours from now, at most three
    times, and only while nobody has been alerted yet."""
    timer = find_own(session, actor, timer_id)
    check_version(if_match, timer.version)
    if timer.status != "running":
        raise Conflict("This timer has stopped. Start a new one if you need it.")
    if timer.alert_id is not None:
        raise Conflict('Your team has already been told. Press "I\'m safe" if you are.')
    if timer.extensions >= MAX_EXTENSIONS:
        raise Conflict(f"A timer can be made longer {MAX_EXTENSIONS} times. Start a new one.")
    if not timer.expected_back_at < expected_back_at <= now + LONGEST:
        raise InvalidInput(
            "Choose a later time, in the next 24 hours.",
            errors={"expected_back_at": ["Must be later than now set, within 24 hours."]},
        )
    timer.expected_back_at, timer.updated_at, timer.warned_at = expected_back_at, now, None
    timer.extensions += 1
    timer.version += 1
    _log(timer, "extended", now)
    session.flush()
    return timer


def warn_ending(session: Session, *, now: datetime, batch_size: int = 500) -> int:
    """Tell each young person whose running timer ends within WARNING that it is about to:
    once per deadline (an extension sets a new one), pushed at once whatever the hour."""
    due = session.scalars(
        select(SafetyTimer)
        .join(YoungPerson, YoungPerson.id == SafetyTimer.young_person_id)
        .where(
            SafetyTimer.status == "running",
            SafetyTimer.warned_at.is_(None),
            SafetyTimer.expected_back_at > now,
            SafetyTimer.expected_back_at <= now + WARNING,
            YoungPerson.status == "active",
        )
        .order_by(SafetyTimer.expected_back_at)
        .limit(batch_size)
        .with_for_update(of=SafetyTimer, skip_locked=True)
    ).all()
    for timer in due:
        timer.warned_at = now
        account = notifications.account_of(session, timer.young_person_id)
        if account is not None:
            notifications.notify(
                session,
                account,
                "safety_timer_ending",
                now=now,
                subject_id=timer.id,
                data={
                    "timer_id": str(timer.id),
                    "expected_back_at": timer.expected_back_at.isoformat(),
                },
                dedupe_key=f"safety_timer_ending:{timer.id}:{timer.version}",
            )
    session.flush()
    return len(due)


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
        timer.version += 1
        _log(timer, "stopped", now)
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
        _log(timer, "expired", now)
        raised += 1
    session.flush()
    return raised
