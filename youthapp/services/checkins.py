"""Check-ins: "how are you, are you safe?" from a young person, on a bad signal if need be.

Nothing a young person sends is lost or doubled: a retried `client_ref` is the first
check-in. An urgent one (needs help, or not feeling safe) raises one alert in the same
transaction that stores it, and the staff in scope are told at once; any check-in answers
a check-in missed earlier that day.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from youthapp import access
from youthapp.errors import Forbidden
from youthapp.models import Alert, CheckIn, User
from youthapp.services import alerts, people


def coarsen(degrees: float) -> float:
    """About 100 metres: three decimal places, rounded half away from zero."""
    return float(Decimal(str(degrees)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def submit(
    session: Session, actor: User, data: Mapping[str, Any], *, now: datetime
) -> tuple[CheckIn, bool]:
    """Store a check-in; returns (check-in, created). A repeated client_ref returns the
    first check-in, unchanged, with created False."""
    young_person_id = access.own_record_id(actor)
    if people.case_status(session, actor) == "exited" and not data["needs_help"]:
        raise Forbidden(
            "You have left the programme, so check-ins are closed. If you need help now, "
            "press the help button: it always reaches the team."
        )
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
        earlier = _by_client_ref(session, young_person_id, data["client_ref"])
        if earlier is None:  # not a concurrent retry: the row itself was refused
            raise
        return earlier, False
    alert = _raise_alert(session, check_in, now)
    check_in.alert_ids = [str(alert.id)] if alert is not None else []
    session.flush()
    _resolve_missed_today(session, actor, now)
    return check_in, True


def _raise_alert(session: Session, check_in: CheckIn, now: datetime) -> Alert | None:
    """At most one alert per check-in: needing help now says more than not feeling safe."""
    if check_in.needs_help:
        kind, summary = "urgent_help", 'Pressed "I need help now"'
    elif not check_in.feeling_safe:
        kind, summary = "feeling_unsafe", "Said they do not feel safe"
    else:
        return None
    return alerts.raise_alert(
        session,
        check_in.young_person_id,
        kind,
        now=now,
        fold=True,
        summary=summary,
        subject=("check_in", check_in.id),
        details=_alert_details(check_in),
    )


def _resolve_missed_today(session: Session, actor: User, now: datetime) -> None:
    """A check-in on the same day (the young person's day) answers a missed one.

    This runs in the transaction of an urgent check-in too, so nothing here may fail it: an
    alert whose details do not say when the check-in was due is left for staff."""
    zone = ZoneInfo(actor.timezone)
    today = now.astimezone(zone).date()
    for alert in session.scalars(
        select(Alert).where(
            Alert.young_person_id == actor.young_person_id,
            Alert.kind == "missed_check_in",
            Alert.status != "resolved",
        )
    ):
        due = _due_at(alert)
        if due is not None and due.astimezone(zone).date() == today:
            alerts.resolve_by_facts(session, alert, "checked_in_late", now=now)


def _due_at(alert: Alert) -> datetime | None:
    value = (alert.details or {}).get("due_at")
    try:
        due = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return due if due is not None and due.tzinfo is not None else None


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


def my_check_ins_query(actor: User, *, updated_since: datetime | None = None) -> Select[CheckIn]:
    return _history(access.own_record_id(actor), updated_since)


def staff_check_ins_query(
    session: Session,
    actor: User,
    young_person_id: uuid.UUID,
    *,
    updated_since: datetime | None = None,
) -> Select[CheckIn]:
    young_person = people.read_record(session, actor, young_person_id, "check_ins")
    return _history(young_person.id, updated_since)


def _history(young_person_id: uuid.UUID, updated_since: datetime | None) -> Select[CheckIn]:
    query = select(CheckIn).where(CheckIn.young_person_id == young_person_id)
    if updated_since is not None:
        query = query.where(CheckIn.updated_at >= updated_since)
    return query.order_by(CheckIn.created_at.desc(), CheckIn.id)
