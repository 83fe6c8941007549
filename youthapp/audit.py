"""Recording the audit trail: who read or changed what, when, and from where."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, insert, select
from sqlalchemy.orm import Session

from youthapp.clock import utcnow
from youthapp.models import AuditEvent, User


@dataclass(frozen=True)
class Origin:
    """Where the current piece of work came from (a request, the scheduler, the CLI)."""

    client_address: str | None = None
    request_id: str | None = None


# Set by the boundary (one request, one job) so services need not pass it around.
current_origin: ContextVar[Origin] = ContextVar("audit_origin", default=Origin())  # noqa: B039 (frozen)


def record(
    session: Session,
    actor: User | None,
    action: str,
    *,
    young_person_id: uuid.UUID | None = None,
    subject: tuple[str, Any] | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Add one event; `subject` is (object type, object id). `details` holds only facts from
    fixed vocabularies (field names, a role, a status, a count): never free text, and nothing
    from which case content can be read (such as which mentors, hence which specialties)."""
    session.add(AuditEvent(**_row(actor, action, young_person_id, subject, details, now)))


def is_staff_read(actor: User) -> bool:
    """The one test of whether a read is an access to audit: a young person reading their
    own record is not; anyone else reading one is."""
    return actor.role != "young_person"


def staff_read(session: Session, actor: User, object_type: str, item: Any) -> None:
    """Audit a staff member reading one record about a young person (`item` has `id` and
    `young_person_id`)."""
    if is_staff_read(actor):
        record(
            session,
            actor,
            f"{object_type}.viewed",
            young_person_id=item.young_person_id,
            subject=(object_type, item.id),
        )


def staff_listed(session: Session, actor: User, object_type: str, items: Iterable[Any]) -> None:
    """Audit a staff member seeing records in a list: one event per record shown, about the
    young person each names (`young_person_id`, or its own id for a young person's)."""
    if is_staff_read(actor):
        record_each(
            session,
            actor,
            f"{object_type}.listed",
            ((object_type, item.id, getattr(item, "young_person_id", item.id)) for item in items),
        )


def record_each(
    session: Session,
    actor: User,
    action: str,
    subjects: Iterable[tuple[str, Any, uuid.UUID | None]],
) -> None:
    """One event per record shown (a list is a read of each), in one statement.

    `subjects` are (object type, object id, young person id).
    """
    now = utcnow()
    rows = [
        _row(actor, action, young_person_id, (object_type, object_id), None, now)
        for object_type, object_id, young_person_id in subjects
    ]
    if rows:
        session.execute(insert(AuditEvent), [{"id": uuid.uuid4(), **row} for row in rows])


def _row(
    actor: User | None,
    action: str,
    young_person_id: uuid.UUID | None,
    subject: tuple[str, Any] | None,
    details: dict[str, Any] | None,
    now: datetime | None,
) -> dict[str, Any]:
    origin = current_origin.get()
    return {
        "occurred_at": now or utcnow(),
        "actor_id": actor.id if actor else None,
        "actor_role": actor.role if actor else None,
        "action": action,
        "young_person_id": young_person_id,
        "object_type": subject[0] if subject else None,
        "object_id": str(subject[1]) if subject else None,
        "client_address": origin.client_address,
        "request_id": origin.request_id,
        "details": details,
    }


def events_query(
    *,
    young_person_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[AuditEvent]:
    """The trail, newest first, narrowed by whichever filters are given."""
    query = select(AuditEvent)
    if young_person_id:
        query = query.where(AuditEvent.young_person_id == young_person_id)
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
    if action:
        query = query.where(AuditEvent.action == action)
    if since:
        query = query.where(AuditEvent.occurred_at >= since)
    if until:
        query = query.where(AuditEvent.occurred_at < until)
    return query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id)
