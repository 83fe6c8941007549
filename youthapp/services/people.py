"""Young people on the programme: reading and updating their record, and mentor assignments."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from youthapp import access, audit
from youthapp.errors import Conflict, InvalidInput, NotFound
from youthapp.models import Assignment, User, YoungPerson
from youthapp.services import status, teams
from youthapp.vocabulary import canonical_borough, normalise_email

_LIVE_MENTORS = selectinload(
    YoungPerson.assignments.and_(Assignment.ended_at.is_(None))
).joinedload(Assignment.mentor)


def find_young_person(
    session: Session, actor: User, young_person_id: uuid.UUID, *, with_mentors: bool = False
) -> YoungPerson:
    """The young person if `actor` may see them; otherwise NotFound, whether or not they exist."""
    query = access.young_people_visible_to(actor).where(YoungPerson.id == young_person_id)
    if with_mentors:
        query = query.options(_LIVE_MENTORS)
    young_person = session.scalar(query)
    if young_person is None:
        raise NotFound("No such young person.")
    return young_person


def read_record(
    session: Session,
    actor: User,
    young_person_id: uuid.UUID,
    what: str,
    *,
    with_mentors: bool = False,
) -> YoungPerson:
    """A staff read of part of a young person's record (`what`: "plan", "check_ins", ...):
    found through the caller's scope, and audited as `<what>.viewed` in the same step, so
    no read can forget its audit row."""
    young_person = find_young_person(session, actor, young_person_id, with_mentors=with_mentors)
    audit.record(
        session,
        actor,
        f"{what}.viewed",
        young_person_id=young_person.id,
        subject=("young_person", young_person.id),
    )
    return young_person


def own_or_in_scope(session: Session, actor: User, young_person_id: uuid.UUID | None) -> uuid.UUID:
    """Whose record a request is about. None means the caller's own (young people, through
    /me); an id must be in the caller's staff scope, so a young person reaching a staff
    route (/young-people/{id}/...) finds nothing, their own id included."""
    if young_person_id is None:
        return access.own_record_id(actor)
    return find_young_person(session, actor, young_person_id).id


def case_status(session: Session, young_person: User) -> str:
    """The status of a young person's case, as read when their request was authenticated
    (or from the database for an account loaded otherwise)."""
    return (
        young_person.case_status
        or session.execute(
            select(YoungPerson.status).where(YoungPerson.id == young_person.young_person_id)
        ).scalar_one()
    )


def young_people_query(
    session: Session, actor: User, *, status: str | None = None, q: str | None = None
) -> Select[YoungPerson]:
    """The young people `actor` sees, in name order, with their live mentors: the list of
    GET /young-people (a coordinator's teams are read here, access.young_people_listed_for)."""
    query = access.young_people_listed_for(session, actor).options(_LIVE_MENTORS)
    if status:
        query = query.where(YoungPerson.status == status)
    if q and q.strip():
        pattern = "%" + _escape_like(" ".join(q.lower().split())) + "%"
        query = query.where(YoungPerson.search_name.like(pattern, escape="\\"))
    return query.order_by(YoungPerson.last_name, YoungPerson.first_name, YoungPerson.id)


def view_young_person(session: Session, actor: User, young_person_id: uuid.UUID) -> YoungPerson:
    return read_record(session, actor, young_person_id, "young_person", with_mentors=True)


def update_young_person(
    session: Session,
    actor: User,
    young_person_id: uuid.UUID,
    changes: Mapping[str, Any],
    *,
    now: datetime,
) -> YoungPerson:
    young_person = find_young_person(session, actor, young_person_id, with_mentors=True)
    access.require_role(actor, access.COORDINATOR)
    changes = dict(changes)
    new_status = changes.pop("status", None)
    reason = changes.pop("status_reason", None)
    if "borough" in changes:
        changes["borough"] = canonical_borough(changes["borough"])
        if changes["borough"] is None:
            raise InvalidInput(
                "Unknown borough.",
                errors={"borough": ["Use one of London's 32 boroughs or the City of London."]},
            )
    if changes.get("email"):
        changes["email"] = normalise_email(changes["email"])
    changed = [name for name, value in changes.items() if getattr(young_person, name) != value]
    for name in changed:
        setattr(young_person, name, changes[name])
    if "borough" in changed:
        teams.transfer(session, actor, young_person, now=now)
    if new_status is not None and status.change_status(
        session, actor, young_person, new_status, reason=reason, now=now
    ):
        changed.append("status")
        # Leaving ends the live assignments shown with the record: read them again.
        young_person = (
            session.scalars(
                access.young_people_visible_to(actor)
                .where(YoungPerson.id == young_person.id)
                .options(_LIVE_MENTORS)
                .execution_options(populate_existing=True)
            )
            .unique()
            .one()
        )
    if changed:
        young_person.updated_at = now
        session.flush()
        audit.record(
            session,
            actor,
            "young_person.updated",
            young_person_id=young_person.id,
            subject=("young_person", young_person.id),
            details={"fields": sorted(changed)},
            now=now,
        )
    return young_person


def status_history(session: Session, actor: User, young_person_id: uuid.UUID) -> list[Any]:
    """The case's statuses, oldest first (staff in scope; audited)."""
    young_person = read_record(session, actor, young_person_id, "status_history")
    return status.history(session, young_person.id)


def list_assignments(session: Session, actor: User, young_person_id: uuid.UUID) -> list[Assignment]:
    """Every assignment of the young person, ended ones included (the history)."""
    young_person = read_record(session, actor, young_person_id, "assignments")
    return list(
        session.scalars(
            select(Assignment)
            .where(Assignment.young_person_id == young_person.id)
            .options(selectinload(Assignment.mentor))
            .order_by(Assignment.started_at, Assignment.id)
        )
    )


def assign_mentor(
    session: Session,
    actor: User,
    young_person_id: uuid.UUID,
    mentor_id: uuid.UUID,
    *,
    now: datetime,
    field: str = "mentor_id",
) -> Assignment:
    young_person = find_young_person(session, actor, young_person_id)
    access.require_role(actor, access.COORDINATOR)
    if young_person.status == "exited":
        raise Conflict("This young person has left the programme.")
    mentor = session.scalar(
        select(User).where(
            User.id == mentor_id, User.role == access.MENTOR, User.is_active.is_(True)
        )
    )
    if mentor is None:
        raise InvalidInput(
            "Choose an active mentor.", errors={field: ["Not an active mentor's account."]}
        )
    already = session.scalar(
        select(Assignment.id).where(
            Assignment.young_person_id == young_person.id,
            Assignment.mentor_id == mentor.id,
            Assignment.ended_at.is_(None),
        )
    )
    if already is not None:
        raise Conflict("This mentor is already assigned to this young person.")
    assignment = Assignment(
        young_person_id=young_person.id,
        mentor_id=mentor.id,
        specialty=mentor.specialty,
        started_at=now,
        assigned_by_id=actor.id,
        mentor=mentor,
    )
    session.add(assignment)
    session.flush()
    audit.record(
        session,
        actor,
        "assignment.created",
        young_person_id=young_person.id,
        subject=("assignment", assignment.id),
        now=now,
    )
    return assignment


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def set_consents(
    session: Session,
    actor: User,
    young_person_id: uuid.UUID,
    consents: Mapping[str, Any],
    *,
    now: datetime,
) -> YoungPerson:
    """Change consent per purpose: `reporting`, and `sharing` per mentor specialty. The young
    person changes their own; a coordinator changes them with them. Withdrawing sharing cuts
    that specialty's mentors off at once."""
    if actor.role == access.YOUNG_PERSON:
        if actor.young_person_id != young_person_id:
            raise NotFound("No such young person.")
        young_person = session.get_one(YoungPerson, young_person_id)
    else:
        young_person = find_young_person(session, actor, young_person_id)
        access.require_role(actor, access.COORDINATOR)
    by = "young_person" if actor.role == access.YOUNG_PERSON else young_person.consent_given_by
    apply_consents(young_person, consents, given_by=by)
    if consents.get("reconfirm") and actor.role == access.YOUNG_PERSON:
        young_person.consent_review_due_since = None
    young_person.consents_changed_at = young_person.updated_at = now
    session.flush()
    audit.record(
        session,
        actor,
        "consents.changed",
        young_person_id=young_person.id,
        subject=("young_person", young_person.id),
        now=now,
    )
    return young_person


def apply_consents(
    young_person: YoungPerson, consents: Mapping[str, Any], *, given_by: str | None
) -> None:
    if "reporting" in consents:
        young_person.consent_reporting = consents["reporting"]
        young_person.reporting_consent_by = given_by if consents["reporting"] else None
    for specialty, granted in (consents.get("sharing") or {}).items():
        setattr(young_person, f"share_{specialty}", granted)
