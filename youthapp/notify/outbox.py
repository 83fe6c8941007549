"""The outbox side of notifications: when a message may be pushed, waking the dispatcher,
and creating many at once where each may exist only once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, delete, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from youthapp import windows
from youthapp.models import Notification, User

CHANNEL = "youthapp_outbox"


def push_not_before(user: User, now: datetime, *, urgent: bool) -> datetime:
    """When a message to `user` may be pushed: at once if urgent or inside one of their
    contact windows, otherwise when the next one opens (their wall clock, their zone)."""
    if urgent or not user.contact_windows:
        return now
    return windows.next_open(user.contact_windows, ZoneInfo(user.timezone), now)


def wake_dispatcher(session: Session) -> None:
    """Ask the dispatcher to look now. On PostgreSQL the NOTIFY is delivered when this
    transaction commits, so it never runs ahead of the rows it announces; elsewhere the
    dispatcher's short poll picks them up."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


def insert_new(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert notifications, skipping any whose dedupe key exists already (made by an
    earlier run or by another scheduler at the same moment). Returns how many were new."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(Notification).on_conflict_do_nothing(index_elements=["dedupe_key"])
    result = session.execute(
        statement.returning(Notification.id), [{"id": uuid.uuid4(), **row} for row in rows]
    )
    return len(result.all())


def withdraw_unsent(session: Session, subject_id: uuid.UUID, kinds: Sequence[str]) -> None:
    """Take back messages about `subject_id` that have not gone out (an appointment moved or
    was cancelled, so its reminders are wrong now)."""
    session.execute(
        delete(Notification).where(
            Notification.subject_id == subject_id,
            Notification.kind.in_(kinds),
            Notification.delivery_status == "pending",
        )
    )


def withdraw_unsent_to_others(
    session: Session, subject_ids: Select[uuid.UUID], kept: Select[uuid.UUID]
) -> None:
    """Take back messages about `subject_ids` not gone out yet, except to the `kept` users
    (a case moved team: its old coordinators are no longer to be told of it)."""
    session.execute(
        delete(Notification)
        .where(
            Notification.subject_id.in_(subject_ids),
            Notification.delivery_status == "pending",
            Notification.user_id.not_in(kept),
        )
        .execution_options(synchronize_session=False)
    )


def withdraw_pending_to(
    session: Session, user_id: uuid.UUID, scheduled: Sequence[str], *, everything: bool = False
) -> None:
    """Take back what has not been pushed to `user_id` yet: their support was paused or
    closed. Scheduled messages (`scheduled` kinds: reminders, prompts) go altogether; with
    `everything`, the rest that is not urgent stays in their inbox but is never pushed."""
    pending = (Notification.user_id == user_id, Notification.delivery_status == "pending")
    session.execute(delete(Notification).where(*pending, Notification.kind.in_(scheduled)))
    if everything:
        session.execute(
            update(Notification)
            .where(*pending, Notification.urgent.is_(False))
            .values(delivery_status="withdrawn")
            .execution_options(synchronize_session=False)
        )


def refresh_statistics(engine: Engine) -> None:
    """Tell the query planner what the outbox holds now. After a sweep adds thousands of
    messages at once, statistics from before it (autovacuum waits for a tenth of the
    table to change) make the dispatcher's claim a sort of every pending row instead of a
    walk of ix_notifications_due that stops after one batch."""
    with engine.begin() as connection:
        connection.execute(text("ANALYZE notifications"))
