"""A young person's status, and everything it sets going: the one place that decides what
pausing, leaving and coming back do to the rest of the case.

- `paused` (hospital, custody, away): no scheduled message reaches the young person and no
  missed check-in counts; a running safety timer stops (nobody would answer it); the
  appointments stay as booked; sign-in and an urgent check-in still work.
- `exited`: every live assignment ends, every future appointment is cancelled (the young
  person is not pushed; their mentors are told), the check-in schedule is switched off, a
  running timer stops, the calendar feed is revoked, every sign-in ends, and alerts that
  only a programme place gave reason for (a missed check-in or appointment) are resolved.
  Urgent alerts stay open: a young person in danger is no less so for having left.
- back to `active`: the sweeps start again from that moment, so nothing "missed" while
  paused or away is raised afterwards.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from youthapp import access, audit
from youthapp.models import (
    Assignment,
    CalendarFeed,
    CheckInSchedule,
    StatusChange,
    User,
    YoungPerson,
)
from youthapp.notify import outbox
from youthapp.services import alerts, appointments, auth, timers

# Alerts that only being on the programme gave reason for: closed when the young person
# leaves it.
CLOSED_ON_EXIT = ("missed_check_in", "missed_appointment")


def record(
    session: Session,
    young_person: YoungPerson,
    status: str,
    *,
    reason: str | None,
    by: User | None,
    now: datetime,
    from_team_id: uuid.UUID | None = None,
    to_team_id: uuid.UUID | None = None,
) -> None:
    """Add a line to the status history (enrolment, every change after it, and each transfer
    between teams, which keeps the status)."""
    session.add(
        StatusChange(
            young_person_id=young_person.id,
            status=status,
            reason=reason,
            changed_by_id=by.id if by else None,
            changed_at=now,
            from_team_id=from_team_id,
            to_team_id=to_team_id,
        )
    )


def change_status(
    session: Session,
    actor: User,
    young_person: YoungPerson,
    status: str,
    *,
    reason: str | None,
    now: datetime,
) -> bool:
    """Move the case to `status` with all that follows; False when it is there already."""
    if young_person.status == status:
        return False
    young_person.status, young_person.status_changed_at = status, now
    young_person.exited_at = now if status == "exited" else None
    young_person.updated_at = now
    record(session, young_person, status, reason=reason, by=actor, now=now)
    account = session.scalar(select(User).where(User.young_person_id == young_person.id))
    schedule = session.get(CheckInSchedule, young_person.id)
    if schedule is not None:
        # Expected check-ins count from this moment on, whatever the new status.
        schedule.effective_from = now
    if status == "paused":
        timers.stop_running(session, young_person.id, now=now)
        if account is not None:
            outbox.withdraw_pending_to(session, account.id, access.SCHEDULED_KINDS)
    elif status == "exited":
        _close_case(session, actor, young_person, account, schedule, now)
    session.flush()
    audit.record(
        session,
        actor,
        "young_person.status_changed",
        young_person_id=young_person.id,
        subject=("young_person", young_person.id),
        details={"status": status},
        now=now,
    )
    return True


def _close_case(
    session: Session,
    actor: User,
    young_person: YoungPerson,
    account: User | None,
    schedule: CheckInSchedule | None,
    now: datetime,
) -> None:
    for appointment in appointments.upcoming(session, young_person.id, now=now):
        appointments.close_as_cancelled(
            session,
            appointment,
            by=actor,
            reason="The young person has left the programme.",
            now=now,
        )
        appointments.tell_mentor(session, appointment, "appointment_cancelled", now)
    for assignment in session.scalars(
        select(Assignment).where(
            Assignment.young_person_id == young_person.id, Assignment.ended_at.is_(None)
        )
    ):
        assignment.ended_at, assignment.ended_by_id = now, actor.id
        assignment.ended_reason = "exited"
    if schedule is not None:
        schedule.active, schedule.updated_at, schedule.updated_by_id = False, now, actor.id
    timers.stop_running(session, young_person.id, now=now)
    feed = session.get(CalendarFeed, young_person.id)
    if feed is not None:
        session.delete(feed)
    alerts.resolve_open(
        session, young_person.id, "young_person_exited", now=now, kinds=CLOSED_ON_EXIT
    )
    if account is not None:
        outbox.withdraw_pending_to(session, account.id, access.SCHEDULED_KINDS, everything=True)
        auth.end_all_sessions(session, account.id, now=now, reason="exited")


def history(session: Session, young_person_id: uuid.UUID) -> list[StatusChange]:
    """Every status the young person's case has had, oldest first."""
    return list(
        session.scalars(
            select(StatusChange)
            .where(StatusChange.young_person_id == young_person_id)
            .order_by(StatusChange.changed_at, StatusChange.id)
        )
    )
