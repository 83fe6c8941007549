"""Ending a mentor's assignment, with or without a handover to another mentor.

Nothing is left behind a mentor who goes: their future appointments with the young person
move to the new mentor (the calendar's SEQUENCE moves on and the young person is told), or,
without one, they are cancelled and the young person is told. The old mentor loses access
at once; a staff-only note tells the next one what they need to know.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from youthapp import access, audit
from youthapp.errors import Conflict, InvalidInput, NotFound
from youthapp.models import Assignment, Handover, User
from youthapp.services import appointments, people


def end_assignment(
    session: Session,
    actor: User,
    young_person_id: uuid.UUID,
    assignment_id: uuid.UUID,
    *,
    handover_to_mentor_id: uuid.UUID | None = None,
    note: str | None = None,
    now: datetime,
    again_ok: bool = False,
) -> Handover | None:
    """End the assignment (the row stays as history). With `handover_to_mentor_id` the work
    moves to that mentor. Returns the handover record; one that has already ended is a
    conflict, or (`again_ok`, as DELETE is idempotent) nothing to do."""
    young_person = people.find_young_person(session, actor, young_person_id)
    access.require_role(actor, access.COORDINATOR)
    assignment = session.scalar(
        select(Assignment)
        .where(Assignment.id == assignment_id, Assignment.young_person_id == young_person.id)
        .with_for_update()
    )
    if assignment is None:
        raise NotFound("No such assignment.")
    if assignment.ended_at is not None:
        if again_ok:
            return None
        raise Conflict("This assignment has already ended.")
    if handover_to_mentor_id == assignment.mentor_id:
        raise InvalidInput(
            "Choose another mentor to hand over to.",
            errors={"handover_to_mentor_id": ["This is the mentor whose assignment ends."]},
        )
    assignment.ended_at, assignment.ended_by_id = now, actor.id
    assignment.ended_reason = "handover" if handover_to_mentor_id else "ended"
    session.flush()
    audit.record(
        session,
        actor,
        "assignment.ended",
        young_person_id=young_person.id,
        subject=("assignment", assignment.id),
        now=now,
    )
    future = appointments.upcoming(
        session, young_person.id, now=now, mentor_id=assignment.mentor_id
    )
    handover = Handover(
        young_person_id=young_person.id,
        assignment_id=assignment.id,
        from_mentor_id=assignment.mentor_id,
        to_mentor_id=handover_to_mentor_id,
        note=note,
        created_by_id=actor.id,
        created_at=now,
    )
    if handover_to_mentor_id is not None:
        new_mentor = _take_over(session, actor, young_person.id, handover_to_mentor_id, now)
        for appointment in future:
            appointments.move_to_mentor(session, actor, appointment, new_mentor, now=now)
        handover.appointments_moved = len(future)
    else:
        for appointment in future:
            appointments.close_as_cancelled(
                session,
                appointment,
                by=actor,
                reason="Your mentor has changed; a new meeting will be arranged.",
                now=now,
            )
            appointments.tell_young_person(session, appointment, "appointment_cancelled", now)
        handover.appointments_cancelled = len(future)
    session.add(handover)
    session.flush()
    return handover


def _take_over(
    session: Session, actor: User, young_person_id: uuid.UUID, mentor_id: uuid.UUID, now: datetime
) -> User:
    """The new mentor, assigned if they are not already."""
    live = session.scalar(
        select(Assignment).where(
            Assignment.young_person_id == young_person_id,
            Assignment.mentor_id == mentor_id,
            Assignment.ended_at.is_(None),
        )
    )
    if live is None:
        live = people.assign_mentor(
            session, actor, young_person_id, mentor_id, now=now, field="handover_to_mentor_id"
        )
    mentor = session.scalar(
        select(User).where(
            User.id == mentor_id, access.actively_assigned(mentor_id, young_person_id)
        )
    )
    if mentor is None:
        raise InvalidInput(
            "The young person has not agreed to share their record with this mentor's specialty.",
            errors={"handover_to_mentor_id": ["Not a specialty the young person shares with."]},
        )
    return mentor


def handovers_of(session: Session, actor: User, young_person_id: uuid.UUID) -> list[Handover]:
    """The young person's handovers, oldest first (staff in scope)."""
    young_person = people.read_record(session, actor, young_person_id, "handovers")
    return list(
        session.scalars(
            select(Handover)
            .where(Handover.young_person_id == young_person.id)
            .order_by(Handover.created_at, Handover.id)
        )
    )
