"""Referrals: submitted by referrers, withdrawn by them, decided by coordinators."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from youthapp import access, audit, db
from youthapp.config import Settings
from youthapp.errors import Conflict, Forbidden, InvalidInput, NotFound
from youthapp.models import Referral, User, YoungPerson
from youthapp.services import activation, notifications, people, teams
from youthapp.services import status as status_service
from youthapp.services.consents import age_on, given_at_referral, reviewed_age
from youthapp.vocabulary import DOMAINS, canonical_borough, name_match_key, normalise_email

NAME_AND_BIRTH_DATE = "name_and_date_of_birth"


@dataclass(frozen=True)
class Enrolment:
    referral: Referral
    young_person: YoungPerson
    activation_code: str | None  # None when the young person has an account already


def submit_referral(
    session: Session, actor: User, data: Mapping[str, Any], *, settings: Settings, now: datetime
) -> Referral:
    access.require_role(actor, access.REFERRER)
    errors: dict[str, list[str]] = {}
    if data.get("consent_obtained") is not True:
        errors["consent_obtained"] = ["The young person's consent must be obtained first."]
    age_problem = _age_problem(data["date_of_birth"], now.date(), settings)
    if age_problem:
        errors["date_of_birth"] = [age_problem]
    borough = canonical_borough(data["borough"])
    if borough is None:
        errors["borough"] = ["Use one of London's 32 boroughs or the City of London."]
    needs = list(dict.fromkeys(data["needs"]))  # drop repeats, keep order
    if not needs or any(need not in DOMAINS for need in needs):
        errors["needs"] = [f"Choose one or more of: {', '.join(DOMAINS)}."]
    if errors or borough is None:
        raise InvalidInput("The referral is not complete.", errors=errors)
    given_by, competence_assessed = given_at_referral(
        data.get("consent"), data["date_of_birth"], now.date()
    )
    referral = Referral(
        referrer_id=actor.id,
        referrer_type=actor.referrer_type,
        organisation=actor.organisation,
        first_name=data["first_name"].strip(),
        last_name=data["last_name"].strip(),
        match_key=name_match_key(data["first_name"], data["last_name"]),
        date_of_birth=data["date_of_birth"],
        borough=borough,
        team_id=teams.team_for_borough(session, borough),
        phone=data.get("phone"),
        email=normalise_email(data.get("email") or "") or None,
        needs=needs,
        reason=data["reason"].strip(),
        risk_notes=data.get("risk_notes"),
        consent_obtained=True,
        consent_given_by=given_by,
        consent_competence_assessed=competence_assessed,
        status="submitted",
        created_at=now,
        updated_at=now,
    )
    session.add(referral)
    session.flush()
    audit.record(session, actor, "referral.submitted", subject=("referral", referral.id), now=now)
    for coordinator in session.scalars(access.told_of_new_referrals(referral.team_id)):
        notifications.notify(
            session,
            coordinator,
            "referral_submitted",
            now=now,
            subject_id=referral.id,
            data={"referral_id": str(referral.id)},
        )
    return referral


def referrals_query(actor: User, *, status: str | None = None) -> Select[Referral]:
    query = access.referrals_visible_to(actor)
    if status:
        query = query.where(Referral.status == status)
    return query.order_by(Referral.created_at.desc(), Referral.id)


@dataclass(frozen=True)
class PossibleDuplicate:
    """A record that may be the same person: a young person or another open referral."""

    match: str
    young_person_id: uuid.UUID | None = None
    referral_id: uuid.UUID | None = None
    status: str | None = None


def possible_duplicates(session: Session, referral: Referral) -> list[PossibleDuplicate]:
    """Young people (any status, not erased) and other open referrals with the same name
    (ignoring case and accents) and date of birth: for the coordinator to decide whether
    this is someone the programme already knows."""
    same_person = (
        Referral.match_key == referral.match_key,
        Referral.date_of_birth == referral.date_of_birth,
    )
    people_found = session.execute(
        select(YoungPerson.id, YoungPerson.status)
        .where(
            YoungPerson.match_key == referral.match_key,
            YoungPerson.date_of_birth == referral.date_of_birth,
            YoungPerson.erased_at.is_(None),
        )
        .order_by(YoungPerson.created_at, YoungPerson.id)
    ).all()
    open_referrals = session.scalars(
        select(Referral.id)
        .where(*same_person, Referral.status == "submitted", Referral.id != referral.id)
        .order_by(Referral.created_at, Referral.id)
    ).all()
    return [
        *(
            PossibleDuplicate(NAME_AND_BIRTH_DATE, young_person_id=person_id, status=status)
            for person_id, status in people_found
            if person_id != referral.young_person_id
        ),
        *(
            PossibleDuplicate(NAME_AND_BIRTH_DATE, referral_id=other_id, status="submitted")
            for other_id in open_referrals
        ),
    ]


def get_referral(session: Session, actor: User, referral_id: uuid.UUID) -> Referral:
    referral = session.scalar(access.referrals_visible_to(actor).where(Referral.id == referral_id))
    if referral is None:
        raise NotFound("No such referral.")
    audit.record(
        session,
        actor,
        "referral.viewed",
        young_person_id=referral.young_person_id,
        subject=("referral", referral.id),
    )
    return referral


def withdraw_referral(
    session: Session, actor: User, referral_id: uuid.UUID, *, now: datetime
) -> Referral:
    referral = get_referral(session, actor, referral_id)
    if referral.referrer_id != actor.id:  # a coordinator can see it, but it is not theirs
        raise Forbidden("Only the referrer who made this referral can withdraw it.")
    _move_from_submitted(session, referral, "withdrawn", now, withdrawn_at=now)
    audit.record(session, actor, "referral.withdrawn", subject=("referral", referral.id), now=now)
    return referral


def decide_referral(
    session: Session,
    actor: User,
    referral_id: uuid.UUID,
    *,
    decision: str,
    reason: str | None,
    settings: Settings,
    now: datetime,
    consents: Mapping[str, Any] | None = None,
    link_to_young_person_id: uuid.UUID | None = None,
) -> Referral | Enrolment:
    """Accept (enrol the young person with an activation code, or join the record of a
    young person the programme already knows) or decline, exactly once."""
    referral = get_referral(session, actor, referral_id)
    access.require_role(actor, access.COORDINATOR)
    if decision == "decline" and not (reason or "").strip():
        raise InvalidInput(
            "Say why the referral is declined.",
            errors={"reason": ["A reason is required to decline."]},
        )
    if decision == "decline" and link_to_young_person_id is not None:
        raise InvalidInput(
            "Only an accepted referral joins a record.",
            errors={"link_to_young_person_id": ["Only with decision: accept."]},
        )
    existing = None
    if link_to_young_person_id is not None:
        existing = session.scalar(
            access.young_people_visible_to(actor)
            .where(YoungPerson.id == link_to_young_person_id)
            .with_for_update()
        )
        if existing is None:
            raise InvalidInput(
                "Choose a young person on the programme to link this referral to.",
                errors={"link_to_young_person_id": ["No such young person."]},
            )
    status = "accepted" if decision == "accept" else "declined"
    _move_from_submitted(
        session,
        referral,
        status,
        now,
        decided_at=now,
        decided_by_id=actor.id,
        decision_reason=(reason or "").strip() or None,
    )
    audit.record(session, actor, f"referral.{status}", subject=("referral", referral.id), now=now)
    _tell_referrer(session, referral, now)
    if status == "declined":
        return referral
    if existing is not None:
        return _join_record(session, actor, referral, existing, settings=settings, now=now)
    young_person = YoungPerson(
        first_name=referral.first_name,
        last_name=referral.last_name,
        search_name=f"{referral.first_name} {referral.last_name}".lower(),
        match_key=referral.match_key,
        date_of_birth=referral.date_of_birth,
        borough=referral.borough,
        team_id=referral.team_id,
        phone=referral.phone,
        email=referral.email,
        needs=list(referral.needs),
        status="active",
        created_at=now,
        updated_at=now,
    )
    young_person.consent_given_by = referral.consent_given_by
    young_person.consent_competence_assessed = referral.consent_competence_assessed
    # Birthdays already passed are not reviewed: consent was given at this age.
    young_person.consent_reviewed_age = reviewed_age(age_on(referral.date_of_birth, now.date()))
    people.apply_consents(young_person, consents or {}, given_by=referral.consent_given_by)
    session.add(young_person)
    session.flush()
    status_service.record(session, young_person, "active", reason="enrolled", by=actor, now=now)
    referral.young_person_id = young_person.id
    code = activation.issue_code(young_person, settings=settings, now=now)
    session.flush()
    audit.record(
        session,
        actor,
        "young_person.enrolled",
        young_person_id=young_person.id,
        subject=("referral", referral.id),
        now=now,
    )
    return Enrolment(referral, young_person, code)


def _join_record(
    session: Session,
    actor: User,
    referral: Referral,
    young_person: YoungPerson,
    *,
    settings: Settings,
    now: datetime,
) -> Enrolment:
    """The same young person referred again: the referral joins their record, which is
    opened again if they had left. A code is issued only if they never activated."""
    referral.young_person_id = young_person.id
    referral.team_id = young_person.team_id
    young_person.needs = list(dict.fromkeys([*young_person.needs, *referral.needs]))
    young_person.updated_at = now
    status_service.change_status(
        session, actor, young_person, "active", reason="referred again", now=now
    )
    code = None
    if not young_person.has_account:
        code = activation.issue_code(young_person, settings=settings, now=now)
    session.flush()
    audit.record(
        session,
        actor,
        "referral.linked",
        young_person_id=young_person.id,
        subject=("referral", referral.id),
        now=now,
    )
    return Enrolment(referral, young_person, code)


def _tell_referrer(session: Session, referral: Referral, now: datetime) -> None:
    """The referrer hears the decision: its status, nothing of the case."""
    referrer = session.scalar(
        select(User).where(User.id == referral.referrer_id, User.is_active.is_(True))
    )
    if referrer is not None:
        notifications.notify(
            session,
            referrer,
            "referral_decided",
            now=now,
            subject_id=referral.id,
            data={"referral_id": str(referral.id), "status": referral.status},
            status=referral.status,
        )


def _move_from_submitted(
    session: Session, referral: Referral, status: str, now: datetime, **changes: Any
) -> None:
    # A compare-and-swap on the status, so two coordinators deciding at once cannot both win.
    moved = db.rowcount(
        session,
        update(Referral)
        .where(Referral.id == referral.id, Referral.status == "submitted")
        .values(status=status, updated_at=now, **changes)
        .execution_options(synchronize_session=False),
    )
    session.refresh(referral)
    if moved != 1:
        raise Conflict(f"This referral is already {referral.status}.")


def _age_problem(date_of_birth: date, today: date, settings: Settings) -> str | None:
    if date_of_birth > today:
        return "The date of birth is in the future."
    age = (
        today.year
        - date_of_birth.year
        - ((today.month, today.day) < (date_of_birth.month, date_of_birth.day))
    )
    if not settings.programme_min_age <= age <= settings.programme_max_age:
        return (
            f"The programme is for ages {settings.programme_min_age} to "
            f"{settings.programme_max_age}; this person is {age}."
        )
    return None
