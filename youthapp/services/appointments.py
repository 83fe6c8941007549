"""Appointments: booked by staff in scope, answered by the young person, attended or missed.

A mentor and a young person are never double-booked; every change the young person needs
to know about reaches them discreetly and moves the calendar feed's SEQUENCE on.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, case, select, true
from sqlalchemy.orm import Session, joinedload

from youthapp import access, audit
from youthapp.clock import describe_local
from youthapp.errors import Conflict, Forbidden, InvalidInput, NotFound
from youthapp.models import Appointment, User, YoungPerson
from youthapp.notify import outbox
from youthapp.services import alerts, contact, notifications, people
from youthapp.services.versions import check_version
from youthapp.vocabulary import canonical_borough

# Changes the young person's calendar must show (RFC 5545 SEQUENCE).
SIGNIFICANT = ("starts_at", "duration_minutes", "mode", "location", "notes_for_young_person")
EDITABLE = (*SIGNIFICANT, "staff_notes", "borough")
MAX_AHEAD = timedelta(days=730)
MAX_BEHIND = timedelta(days=365)


def find_appointment(session: Session, actor: User, appointment_id: uuid.UUID) -> Appointment:
    appointment = session.scalar(
        access.appointments_visible_to(actor)
        .where(Appointment.id == appointment_id)
        .options(joinedload(Appointment.mentor))
    )
    if appointment is None:
        raise NotFound("No such appointment.")
    return appointment


def view_appointment(session: Session, actor: User, appointment_id: uuid.UUID) -> Appointment:
    appointment = find_appointment(session, actor, appointment_id)
    audit.staff_read(session, actor, "appointment", appointment)
    return appointment


def appointments_query(
    actor: User,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    young_person_id: uuid.UUID | None = None,
    status: str | None = None,
) -> Select[Appointment]:
    query = access.appointments_visible_to(actor).options(joinedload(Appointment.mentor))
    if since:
        query = query.where(Appointment.ends_at > since)
    if until:
        query = query.where(Appointment.starts_at < until)
    if young_person_id:
        query = query.where(Appointment.young_person_id == young_person_id)
    if status:
        query = query.where(Appointment.status == status)
    return query.order_by(Appointment.starts_at, Appointment.id)


def my_appointments_query(
    actor: User, *, now: datetime, since: datetime | None = None, until: datetime | None = None
) -> Select[Appointment]:
    """The young person's own: upcoming first (soonest first), then past (latest first)."""
    query = appointments_query(actor, since=since, until=until)
    is_past = case((Appointment.ends_at <= now, 1), else_=0)
    upcoming_start = case((Appointment.ends_at > now, Appointment.starts_at), else_=None)
    return query.order_by(None).order_by(
        is_past, upcoming_start, Appointment.starts_at.desc(), Appointment.id
    )


def book(session: Session, actor: User, data: Mapping[str, Any], *, now: datetime) -> Appointment:
    young_person = people.find_young_person(session, actor, data["young_person_id"])
    access.require_role(actor, access.COORDINATOR, access.MENTOR)
    mentor_id = data["mentor_id"]
    if actor.role == access.MENTOR and mentor_id != actor.id:
        raise Forbidden("Mentors book their own appointments.")
    if young_person.status == "exited":
        raise Conflict("This young person has left the programme.")
    mentor = session.scalar(
        select(User).where(
            User.id == mentor_id,
            User.role == access.MENTOR,
            User.is_active.is_(True),
            access.actively_assigned(mentor_id, young_person.id),
        )
    )
    if mentor is None:
        raise InvalidInput(
            "Choose a mentor assigned to this young person.",
            errors={"mentor_id": ["Not a mentor assigned to this young person."]},
        )
    _check_time(data["starts_at"], now)
    borough = _borough(data.get("borough"))
    overridden = contact.check_booking(
        session,
        actor,
        young_person,
        borough=borough,
        starts_at=data["starts_at"],
        override_reason=data.get("override_reason"),
        now=now,
    )
    appointment = Appointment(
        borough=borough,
        override_reason=(data.get("override_reason") or "").strip() or None,
        young_person_id=young_person.id,
        mentor_id=mentor.id,
        mentor=mentor,
        starts_at=data["starts_at"],
        duration_minutes=data["duration_minutes"],
        ends_at=data["starts_at"] + timedelta(minutes=data["duration_minutes"]),
        mode=data["mode"],
        location=data.get("location"),
        notes_for_young_person=data.get("notes_for_young_person"),
        staff_notes=data.get("staff_notes"),
        status="scheduled",
        young_person_response="pending",
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
        timing_set_at=now,
    )
    _refuse_double_booking(session, appointment)
    session.add(appointment)
    session.flush()
    audit.record(
        session,
        actor,
        "appointment.booked",
        young_person_id=young_person.id,
        subject=("appointment", appointment.id),
        now=now,
    )
    if overridden:
        contact.record_override(
            session, actor, young_person.id, appointment.id, overridden, now=now
        )
    if appointment.starts_at > now:  # one recorded after the fact needs no message
        tell_young_person(session, appointment, "appointment_booked", now)
    return appointment


def update(
    session: Session,
    actor: User,
    appointment_id: uuid.UUID,
    changes: Mapping[str, Any],
    *,
    if_match: Collection[str],
    now: datetime,
) -> Appointment:
    appointment = _for_staff_change(session, actor, appointment_id)
    check_version(if_match, appointment.version)
    if appointment.status != "scheduled":
        raise Conflict(f"This appointment is {appointment.status}; it can no longer be changed.")
    changes = dict(changes)
    override_reason = changes.pop("override_reason", None)
    if "borough" in changes:
        changes["borough"] = _borough(changes["borough"])
    changed = [
        name for name in EDITABLE if name in changes and getattr(appointment, name) != changes[name]
    ]
    if not changed:
        return appointment
    if "starts_at" in changed:
        _check_time(changes["starts_at"], now)
    overridden: list[str] = []
    if {"starts_at", "borough"} & set(changed):
        overridden = contact.check_booking(
            session,
            actor,
            session.get_one(YoungPerson, appointment.young_person_id),
            borough=changes.get("borough", appointment.borough),
            starts_at=changes.get("starts_at", appointment.starts_at),
            override_reason=override_reason,
            now=now,
        )
        if overridden:
            appointment.override_reason = override_reason.strip()
            contact.record_override(
                session, actor, appointment.young_person_id, appointment.id, overridden, now=now
            )
    for name in changed:
        setattr(appointment, name, changes[name])
    appointment.ends_at = appointment.starts_at + timedelta(minutes=appointment.duration_minutes)
    if {"starts_at", "duration_minutes"} & set(changed):
        _refuse_double_booking(session, appointment)
        appointment.timing_set_at = now
        outbox.withdraw_unsent(session, appointment.id, ["appointment_reminder"])
        appointment.young_person_response = "pending"  # a new time needs a new answer
        appointment.response_message = appointment.responded_at = None
    if set(SIGNIFICANT) & set(changed):
        appointment.sequence += 1
    if {"starts_at", "duration_minutes"} & set(changed):
        appointment.timing_sequence = appointment.sequence
    appointment.updated_at = now
    _record_update(session, actor, appointment, changed, now)
    if set(SIGNIFICANT) & set(changed):
        tell_young_person(session, appointment, "appointment_changed", now)
    return appointment


def cancel(
    session: Session, actor: User, appointment_id: uuid.UUID, *, reason: str, now: datetime
) -> Appointment:
    appointment = find_appointment(session, actor, appointment_id)
    if actor.role not in (access.COORDINATOR, access.MENTOR, access.YOUNG_PERSON):
        raise Forbidden()
    if appointment.status != "scheduled":
        raise Conflict(f"This appointment is already {appointment.status}.")
    close_as_cancelled(session, appointment, by=actor, reason=reason, now=now)
    if actor.role == access.YOUNG_PERSON:
        tell_mentor(session, appointment, "appointment_cancelled", now)
    else:
        tell_young_person(session, appointment, "appointment_cancelled", now)
        if actor.id != appointment.mentor_id:
            tell_mentor(session, appointment, "appointment_cancelled", now)
    return appointment


def close_as_cancelled(
    session: Session, appointment: Appointment, *, by: User, reason: str, now: datetime
) -> None:
    """Cancel it and take back its unsent reminders; who is told is the caller's choice."""
    appointment.status = "cancelled"
    appointment.cancelled_at, appointment.cancelled_by_id = now, by.id
    outbox.withdraw_unsent(session, appointment.id, ["appointment_reminder"])
    appointment.cancel_reason = reason
    appointment.sequence += 1
    appointment.updated_at = now
    session.flush()
    audit.record(
        session,
        by,
        "appointment.cancelled",
        young_person_id=appointment.young_person_id,
        subject=("appointment", appointment.id),
        now=now,
    )


def move_to_mentor(
    session: Session, actor: User, appointment: Appointment, mentor: User, *, now: datetime
) -> None:
    """Hand the appointment to another mentor, same time and place; the young person is
    told and their calendar shows the change."""
    appointment.mentor_id, appointment.mentor = mentor.id, mentor
    _refuse_double_booking(session, appointment)
    appointment.sequence += 1
    appointment.updated_at = now
    _record_update(session, actor, appointment, ["mentor_id"], now)
    tell_young_person(session, appointment, "appointment_changed", now)


def _record_update(
    session: Session, actor: User, appointment: Appointment, fields: list[str], now: datetime
) -> None:
    session.flush()
    audit.record(
        session,
        actor,
        "appointment.updated",
        young_person_id=appointment.young_person_id,
        subject=("appointment", appointment.id),
        details={"fields": sorted(fields)},
        now=now,
    )


def upcoming(
    session: Session,
    young_person_id: uuid.UUID,
    *,
    now: datetime,
    mentor_id: uuid.UUID | None = None,
) -> list[Appointment]:
    """The young person's appointments still to come (with one mentor, if given), locked
    for the change about to be made to them."""
    query = (
        select(Appointment)
        .where(
            Appointment.young_person_id == young_person_id,
            Appointment.status == "scheduled",
            Appointment.starts_at > now,
        )
        .options(joinedload(Appointment.mentor))
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if mentor_id is not None:
        query = query.where(Appointment.mentor_id == mentor_id)
    return list(session.scalars(query.with_for_update(of=Appointment)).unique())


def respond(
    session: Session,
    actor: User,
    appointment_id: uuid.UUID,
    *,
    response: str,
    message: str | None,
    now: datetime,
) -> Appointment:
    appointment = find_appointment(session, actor, appointment_id)
    if actor.role != access.YOUNG_PERSON:
        raise Forbidden("Only the young person answers an appointment.")
    if appointment.status != "scheduled":
        raise Conflict(f"This appointment is {appointment.status}.")
    appointment.young_person_response = response
    appointment.response_message = message
    appointment.responded_at = appointment.updated_at = now
    session.flush()
    tell_mentor(session, appointment, "appointment_response", now, response=response)
    return appointment


def record_attendance(
    session: Session, actor: User, appointment_id: uuid.UUID, *, attended: bool, now: datetime
) -> Appointment:
    appointment = _for_staff_change(session, actor, appointment_id)
    if appointment.status == "cancelled":
        raise Conflict("This appointment was cancelled.")
    if appointment.starts_at > now:
        raise Conflict("Attendance can be recorded once the appointment has started.")
    appointment.status = "attended" if attended else "missed"
    appointment.attendance_recorded_at, appointment.attendance_recorded_by_id = now, actor.id
    appointment.updated_at = now
    session.flush()
    audit.record(
        session,
        actor,
        f"appointment.{appointment.status}",
        young_person_id=appointment.young_person_id,
        subject=("appointment", appointment.id),
        now=now,
    )
    if attended:
        alerts.resolve_open(
            session,
            appointment.young_person_id,
            "attendance_corrected",
            dedupe_key=f"missed_appointment:{appointment.id}",
            now=now,
        )
    else:
        alerts.raise_alert(
            session,
            appointment.young_person_id,
            "missed_appointment",
            now=now,
            summary="Missed an appointment",
            details={
                "appointment_id": str(appointment.id),
                "starts_at": appointment.starts_at.isoformat(),
                "mentor_id": str(appointment.mentor_id),
            },
            subject=("appointment", appointment.id),
            dedupe_key=f"missed_appointment:{appointment.id}",
        )
    return appointment


def _for_staff_change(session: Session, actor: User, appointment_id: uuid.UUID) -> Appointment:
    appointment = find_appointment(session, actor, appointment_id)
    access.require_role(actor, access.COORDINATOR, access.MENTOR)
    return appointment


def _borough(name: str | None) -> str | None:
    if name is None:
        return None
    borough = canonical_borough(name)
    if borough is None:
        raise InvalidInput(
            "Unknown borough.",
            errors={"borough": ["Use one of London's 32 boroughs or the City of London."]},
        )
    return borough


def _check_time(starts_at: datetime, now: datetime) -> None:
    if not now - MAX_BEHIND <= starts_at <= now + MAX_AHEAD:
        raise InvalidInput(
            "Choose a time within a year before and two years after today.",
            errors={"starts_at": ["Out of range."]},
        )


def _refuse_double_booking(session: Session, appointment: Appointment) -> None:
    """409 when the mentor or the young person already has a meeting at that time.

    The mentor's and the young person's rows are locked first (on PostgreSQL; SQLite
    writers are serialised anyway), so two bookings racing for one slot cannot both pass.
    """
    session.execute(select(User.id).where(User.id == appointment.mentor_id).with_for_update())
    session.execute(
        select(YoungPerson.id)
        .where(YoungPerson.id == appointment.young_person_id)
        .with_for_update()
    )
    others = Appointment.id != appointment.id if appointment.id is not None else true()
    clash = session.scalar(
        select(Appointment)
        .where(
            Appointment.status == "scheduled",
            Appointment.starts_at < appointment.ends_at,
            Appointment.ends_at > appointment.starts_at,
            (Appointment.mentor_id == appointment.mentor_id)
            | (Appointment.young_person_id == appointment.young_person_id),
            others,
        )
        .limit(1)
    )
    if clash is not None:
        who = "mentor" if clash.mentor_id == appointment.mentor_id else "young person"
        raise Conflict(f"The {who} already has an appointment at that time.")


def tell_young_person(session: Session, appointment: Appointment, kind: str, now: datetime) -> None:
    recipient = notifications.account_of(session, appointment.young_person_id)
    if recipient is not None:
        notifications.notify(
            session,
            recipient,
            kind,
            now=now,
            data={"appointment_id": str(appointment.id)},
            when=describe_local(appointment.starts_at, recipient.timezone),
        )


def tell_mentor(
    session: Session, appointment: Appointment, kind: str, now: datetime, **values: Any
) -> None:
    """Tell the appointment's mentor, if they may still be told of the young person (staff
    in scope: assigned, active, and shared with)."""
    in_scope = session.scalar(
        access.staff_in_scope(appointment.young_person_id).where(User.id == appointment.mentor_id)
    )
    if in_scope is None:
        return
    data = {"appointment_id": str(appointment.id), **values}
    notifications.notify(
        session,
        appointment.mentor,
        kind,
        now=now,
        data=data,
        when=describe_local(appointment.starts_at, appointment.mentor.timezone),
        **values,
    )
