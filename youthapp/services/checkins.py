"""Check-ins: "how are you, are you safe?" from a young person, on a bad signal if need be.

Nothing a young person sends is lost or doubled: a retried `client_ref` is the first
check-in. An urgent one (needs help, or not feeling safe) raises its alert in the same
transaction that stores it, and the staff in scope are told at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from youthapp import access, audit
from youthapp.models import CheckIn, User
from youthapp.services import alerts, people


def coarsen(degrees: float) -> float:
    """About 100 metres: three decimal places, rounded half away from zero."""
    return float(Decimal(str(degrees)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def submit(
    session: Session, actor: User, data: Mapping[str, Any], *, now: datetime
) -> tuple[CheckIn, bool]:
    """Store a check-in; returns (check-in, created). A repeated client_ref returns the
    first check-in, unchanged, with created False."""
    access.require_role(actor, access.YOUNG_PERSON)
    young_person_id = actor.young_person_id
    earlier = _by_client_ref(session, young_person_id, data["client_ref"])
    if earlier is not None:
        return earlier, False
    location = data.get("location") if actor.location_sharing else None
    check_in = CheckIn(
        young_person_id=young_person_id,
        client_ref=data["client_ref"],
        mood=data["mood"],
        feeling_safe=data["feeling_safe"],
        needs_help=data["needs_help"],
        note=data.get("note"),
        latitude=coarsen(location["lat"]) if location else None,
        longitude=coarsen(location["lon"]) if location else None,
        created_at=now,
        updated_at=now,
        alert_ids=[],
    )
    try:
        with session.begin_nested():  # a concurrent retry of the same client_ref loses here
            session.add(check_in)
            session.flush()
    except IntegrityError:
        return _by_client_ref(session, young_person_id, data["client_ref"]), False
    raised = []
    if check_in.needs_help:
        raised.append(
            alerts.raise_alert(
                session,
                young_person_id,
                "urgent_help",
                now=now,
                fold=True,
                summary='Pressed "I need help now"',
                subject=("check_in", check_in.id),
                details=_alert_details(check_in),
            )
        )
    if not check_in.feeling_safe:
        raised.append(
            alerts.raise_alert(
                session,
                young_person_id,
                "feeling_unsafe",
                now=now,
                fold=True,
                summary="Said they do not feel safe",
                subject=("check_in", check_in.id),
                details=_alert_details(check_in),
            )
        )
    check_in.alert_ids = [str(alert.id) for alert in raised]
    session.flush()
    return check_in, True


def _alert_details(check_in: CheckIn) -> dict[str, Any]:
    return {
        "check_in_id": str(check_in.id),
        "mood": check_in.mood,
        "feeling_safe": check_in.feeling_safe,
        "needs_help": check_in.needs_help,
        "location": check_in.location,
    }


def _by_client_ref(session: Session, young_person_id: uuid.UUID, client_ref: str) -> CheckIn | None:
    return session.scalar(
        select(CheckIn).where(
            CheckIn.young_person_id == young_person_id, CheckIn.client_ref == client_ref
        )
    )


def my_check_ins_query(
    actor: User, *, updated_since: datetime | None = None
) -> Select[tuple[CheckIn]]:
    access.require_role(actor, access.YOUNG_PERSON)
    return _history(actor.young_person_id, updated_since)


def staff_check_ins_query(
    session: Session,
    actor: User,
    young_person_id: uuid.UUID,
    *,
    updated_since: datetime | None = None,
) -> Select[tuple[CheckIn]]:
    young_person = people.find_young_person(session, actor, young_person_id)
    audit.record(
        session,
        actor,
        "check_ins.viewed",
        young_person_id=young_person.id,
        subject=("young_person", young_person.id),
    )
    return _history(young_person.id, updated_since)


def _history(young_person_id: uuid.UUID, updated_since: datetime | None) -> Select[tuple[CheckIn]]:
    query = select(CheckIn).where(CheckIn.young_person_id == young_person_id)
    if updated_since is not None:
        query = query.where(CheckIn.updated_at >= updated_since)
    return query.order_by(CheckIn.created_at.desc(), CheckIn.id)
