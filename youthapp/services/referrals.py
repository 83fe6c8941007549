"""Referrals: submitted by referrers, withdrawn by them, decided by coordinators."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, update
from sqlalchemy.orm import Session

from youthapp import access, audit
from youthapp.config import Settings
from youthapp.errors import Conflict, Forbidden, InvalidInput, NotFound
from youthapp.models import Referral, User, YoungPerson
from youthapp.services import activation, people
from youthapp.vocabulary import DOMAINS, canonical_borough


@dataclass(frozen=True)
class Enrolment:
    referral: Referral
    young_person: YoungPerson
    activation_code: str


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
    if errors:
        raise InvalidInput("The referral is not complete.", errors=errors)
    referral = Referral(
        referrer_id=actor.id,
        referrer_type=actor.referrer_type,
        organisation=actor.organisation,
        first_name=data["first_name"].strip(),
        last_name=data["last_name"].strip(),
        date_of_birth=data["date_of_birth"],
        borough=borough,
        phone=data.get("phone"),
        email=(data.get("email") or "").strip().lower() or None,
        needs=needs,
        reason=data["reason"].strip(),
        risk_notes=data.get("risk_notes"),
        consent_obtained=True,
        status="submitted",
        created_at=now,
        updated_at=now,
    )
    session.add(referral)
    session.flush()
    audit.record(session, actor, "referral.submitted", subject=("referral", referral.id), now=now)
    return referral


def referrals_query(actor: User, *, status: str | None = None) -> Select[tuple[Referral]]:
    query = access.referrals_visible_to(actor)
    if status:
        query = query.where(Referral.status == status)
    return query.order_by(Referral.created_at.desc(), Referral.id)


def record_listed(session: Session, actor: User, referrals: list[Referral]) -> None:
    audit.record_each(
        session,
        actor,
        "referral.listed",
        (("referral", r.id, r.young_person_id) for r in referrals),
    )


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
) -> Referral | Enrolment:
    """Accept (enrol the young person with an activation code) or decline, exactly once."""
    referral = get_referral(session, actor, referral_id)
    access.require_role(actor, access.COORDINATOR)
    if decision == "decline" and not (reason or "").strip():
        raise InvalidInput(
            "Say why the referral is declined.",
            errors={"reason": ["A reason is required to decline."]},
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
    if status == "declined":
        return referral
    young_person = YoungPerson(
        first_name=referral.first_name,
        last_name=referral.last_name,
        search_name=f"{referral.first_name} {referral.last_name}".lower(),
        date_of_birth=referral.date_of_birth,
        borough=referral.borough,
        phone=referral.phone,
        email=referral.email,
        needs=list(referral.needs),
        status="active",
        created_at=now,
        updated_at=now,
    )
    people.apply_consents(young_person, consents or {})
    session.add(young_person)
    session.flush()
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


def _move_from_submitted(
    session: Session, referral: Referral, status: str, now: datetime, **changes: Any
) -> None:
    # A compare-and-swap on the status, so two coordinators deciding at once cannot both win.
    moved = session.execute(
        update(Referral)
        .where(Referral.id == referral.id, Referral.status == "submitted")
        .values(status=status, updated_at=now, **changes)
        .execution_options(synchronize_session=False)
    )
    session.refresh(referral)
    if moved.rowcount != 1:
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
