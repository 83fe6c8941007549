"""One answer for a phone opening the app on a poor connection: every part it shows, and on
a repeat only what changed since its cursor.

The cursor is opaque to the phone: the server's own time when the answer was read, the
plan's version, and a short fingerprint of each change it carried from the last OVERLAP
before that time. Only the server's clock is used, never the phone's. The next sync asks
for what changed after the cursor's time less OVERLAP, so that a change committed a moment
after the answer was read (its timestamp taken before), two changes in the same
millisecond, or app servers whose clocks differ by a few seconds cannot fall between two
syncs; of those, the changes the phone already has (the same record at the same time) are
left out, so a repeat with nothing new is small.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from youthapp import access
from youthapp.errors import InvalidInput
from youthapp.models import (
    Alert,
    Appointment,
    CheckInSchedule,
    Message,
    Notification,
    SafetyPlan,
    User,
)
from youthapp.services import alerts, appointments, messages, notifications, plans, schedules

OVERLAP = timedelta(seconds=5)
# At most this many of each list in one answer; each list's own endpoint pages further.
MOST = 100


@dataclass(frozen=True)
class Cursor:
    at: datetime
    plan_version: int
    seen: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SyncAnswer:
    me: User
    unread_messages: int
    plan: dict[str, Any] | None
    plan_version: int
    appointments: list[Appointment]
    notifications: list[Notification]
    check_in_schedule: schedules.ScheduleView | None
    safety_plan_version: int
    help_requests: list[Alert]
    messages: list[Message]
    content_version: str | None
    cursor: str
    full: bool


def sync(
    session: Session,
    actor: User,
    since: str | None,
    *,
    now: datetime,
    content_version: str | None,
) -> SyncAnswer:
    access.require_role(actor, access.YOUNG_PERSON)
    young_person_id = access.own_record_id(actor)
    cursor = decode(since) if since else None
    after = cursor.at - OVERLAP if cursor else None

    plan_version = plans.plan_version(session, young_person_id)
    plan = None
    if cursor is None or cursor.plan_version != plan_version:
        plan = {
            "young_person_id": young_person_id,
            "goals": plans.load_goals(session, young_person_id),
        }

    booked = appointments.my_appointments_query(actor, now=now).options(
        joinedload(Appointment.mentor)
    )
    inbox = notifications.inbox_query(actor)
    help_requests = alerts.help_requests_query(actor)
    if after is not None:
        booked = booked.where(Appointment.updated_at > after)
        inbox = inbox.where(or_(Notification.created_at > after, Notification.read_at > after))
        help_requests = help_requests.where(Alert.updated_at > after)
    seen = cursor.seen if cursor else frozenset()
    schedule = session.get(CheckInSchedule, young_person_id)
    changed_schedule = after is None or (
        schedule is not None
        and schedule.updated_at is not None
        and schedule.updated_at > after
        and _mark(schedule.young_person_id, schedule.updated_at) not in seen
    )
    booked_found = _new(session.scalars(booked.limit(MOST)).unique(), seen, _updated)
    inbox_found = _new(session.scalars(inbox.limit(MOST)), seen, _notified)
    help_found = _new(session.scalars(help_requests.limit(MOST)), seen, _updated)
    thread = messages.my_thread_query(actor, updated_since=after).limit(MOST)
    thread_found = _new(session.scalars(thread), seen, _updated)
    recent = now - OVERLAP
    carried = {
        _mark(record_id, changed)
        for records, when in (
            (booked_found, _updated),
            (inbox_found, _notified),
            (help_found, _updated),
            (thread_found, _updated),
        )
        for record_id, changed in ((record.id, when(record)) for record in records)
        if changed > recent
    }
    if schedule is not None and schedule.updated_at is not None and schedule.updated_at > recent:
        carried.add(_mark(schedule.young_person_id, schedule.updated_at))
    safety_version = session.scalar(
        select(SafetyPlan.version).where(SafetyPlan.young_person_id == young_person_id)
    )
    return SyncAnswer(
        me=actor,
        unread_messages=messages.unread_count(session, actor),
        plan=plan,
        plan_version=plan_version,
        appointments=booked_found,
        notifications=inbox_found,
        check_in_schedule=(
            schedules.view_of(young_person_id, schedule, actor.timezone)
            if changed_schedule
            else None
        ),
        safety_plan_version=safety_version or 0,
        help_requests=help_found,
        messages=thread_found,
        content_version=content_version,
        cursor=encode(Cursor(now, plan_version, frozenset(carried))),
        full=cursor is None,
    )


def _mark(record_id: uuid.UUID, changed: datetime) -> str:
    """A change's short fingerprint: this record, as changed at this moment."""
    return hashlib.sha256(f"{record_id}:{changed.isoformat()}".encode()).hexdigest()[:12]


def _updated(record: Any) -> datetime:
    changed: datetime = record.updated_at
    return changed


def _notified(notification: Notification) -> datetime:
    return max(filter(None, (notification.created_at, notification.read_at)))


def _new(records: Iterable[Any], seen: frozenset[str], when: Any) -> list[Any]:
    return [record for record in records if _mark(record.id, when(record)) not in seen]


def encode(cursor: Cursor) -> str:
    raw = json.dumps(
        {"t": cursor.at.isoformat(), "p": cursor.plan_version, "s": sorted(cursor.seen)}
    ).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(text: str) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        data = json.loads(raw)
        at = datetime.fromisoformat(data["t"])
        plan_version = int(data["p"])
        seen = frozenset(str(mark) for mark in data.get("s", []))
        if at.tzinfo is None:
            raise ValueError("naive")
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError):
        raise InvalidInput(
            "Not a cursor from this app: sync again without `since`.",
            errors={"since": ["Not a cursor this server gave."]},
        ) from None
    return Cursor(at, plan_version, seen)
