"""Check-in schedules: when a young person is expected to check in, and which expected
check-ins were missed. Times are wall-clock times in the young person's zone, turned into
UTC instants one occurrence at a time, so they are right across clock changes."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from youthapp import access, audit
from youthapp.clock import local_to_utc
from youthapp.models import WEEKDAYS, Alert, CheckIn, CheckInSchedule, User, YoungPerson
from youthapp.services import alerts, people
from youthapp.services.versions import add_first_version, check_version

DEFAULT_TIME = time(18, 0)
DEFAULT_GRACE_MINUTES = 60
# How far back a sweep looks for missed check-ins, so a scheduler that was down for a day
# catches up without raising alerts about last month.
LOOK_BACK = timedelta(hours=48)


@dataclass(frozen=True)
class ScheduleView:
    """A schedule as shown: the stored one, or the inactive default before one is set."""

    young_person_id: uuid.UUID
    days: list[str]
    local_time: time
    timezone: str
    grace_minutes: int
    active: bool
    version: int
    updated_at: datetime | None


def view_of(
    young_person_id: uuid.UUID, schedule: CheckInSchedule | None, zone: str
) -> ScheduleView:
    if schedule is None:
        return ScheduleView(
            young_person_id, [], DEFAULT_TIME, zone, DEFAULT_GRACE_MINUTES, False, 0, None
        )
    return ScheduleView(
        young_person_id,
        list(schedule.days),
        schedule.local_time,
        schedule.timezone,
        schedule.grace_minutes,
        schedule.active,
        schedule.version,
        schedule.updated_at,
    )


def _zone_of(session: Session, young_person_id: uuid.UUID, default: str) -> str:
    return (
        session.scalar(select(User.timezone).where(User.young_person_id == young_person_id))
        or default
    )


def get_schedule(
    session: Session, actor: User, young_person_id: uuid.UUID | None, *, default_zone: str
) -> ScheduleView:
    """The caller's own schedule when `young_person_id` is None, else one in their scope."""
    staff_view = young_person_id is not None
    young_person_id = people.own_or_in_scope(session, actor, young_person_id)
    if staff_view:
        audit.record(
            session,
            actor,
            "check_in_schedule.viewed",
            young_person_id=young_person_id,
            subject=("young_person", young_person_id),
        )
    schedule = session.get(CheckInSchedule, young_person_id)
    return view_of(young_person_id, schedule, _zone_of(session, young_person_id, default_zone))


def put_schedule(
    session: Session,
    actor: User,
    young_person_id: uuid.UUID,
    data: Mapping[str, Any],
    *,
    if_match: Collection[str],
    default_zone: str,
    now: datetime,
) -> ScheduleView:
    """Replace the schedule. Expected check-ins count from now on, never before."""
    people.find_young_person(session, actor, young_person_id)
    access.require_role(actor, access.COORDINATOR, access.MENTOR)
    schedule = session.get(CheckInSchedule, young_person_id)
    check_version(if_match, schedule.version if schedule else 0)
    zone = data.get("timezone") or _zone_of(session, young_person_id, default_zone)
    days = [day for day in WEEKDAYS if day in set(data["days"])]
    values = {
        "days": days,
        "local_time": data["local_time"],
        "timezone": zone,
        "grace_minutes": data["grace_minutes"],
        "active": data["active"],
        "effective_from": now,
        "updated_at": now,
        "updated_by_id": actor.id,
    }
    if schedule is None:
        schedule = CheckInSchedule(young_person_id=young_person_id, **values)
        add_first_version(session, schedule)
    else:
        for name, value in values.items():
            setattr(schedule, name, value)
    session.flush()
    audit.record(
        session,
        actor,
        "check_in_schedule.set",
        young_person_id=young_person_id,
        subject=("young_person", young_person_id),
        now=now,
    )
    return view_of(young_person_id, schedule, zone)


def occurrences(schedule: CheckInSchedule, start: datetime, end: datetime) -> Iterator[datetime]:
    """UTC instants of the schedule's expected check-ins in [start, end), in order."""
    zone = ZoneInfo(schedule.timezone)
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        if WEEKDAYS[day.weekday()] in schedule.days:
            moment = local_to_utc(day, schedule.local_time, zone)
            if start <= moment < end:
                yield moment
        day += timedelta(days=1)


def raise_missed_check_ins(session: Session, *, now: datetime, batch_size: int = 500) -> int:
    """Raise a missed_check_in alert for every expected check-in whose grace period has
    passed without one. Safe to run any number of times, at any `now`, in several
    processes: each occurrence has one dedupe key. Returns how many alerts it raised."""
    raised = 0
    schedules = session.scalars(
        select(CheckInSchedule)
        .join(YoungPerson, YoungPerson.id == CheckInSchedule.young_person_id)
        .where(CheckInSchedule.active.is_(True), YoungPerson.status == "active")
        .execution_options(yield_per=batch_size)
    )
    for schedule in schedules:
        grace = timedelta(minutes=schedule.grace_minutes)
        window_start = max(schedule.effective_from, now - LOOK_BACK)
        previous_deadline = window_start
        for due in occurrences(schedule, window_start - grace, now - grace):
            deadline = due + grace
            # Any check-in since the previous expected one's deadline counts for this one.
            window, previous_deadline = (previous_deadline, deadline), deadline
            if due < schedule.effective_from:
                continue
            key = f"missed_check_in:{schedule.young_person_id}:{due.isoformat()}"
            if session.scalar(select(exists().where(Alert.dedupe_key == key))):
                continue
            # A late check-in the same day answers it too (as it would resolve the alert).
            until = max(window[1], min(now, _end_of_day(due, schedule.timezone)))
            checked_in = session.scalar(
                select(
                    exists().where(
                        CheckIn.young_person_id == schedule.young_person_id,
                        CheckIn.created_at > window[0],
                        CheckIn.created_at <= until,
                    )
                )
            )
            if checked_in:
                continue
            alerts.raise_alert(
                session,
                schedule.young_person_id,
                "missed_check_in",
                now=now,
                summary="Missed an expected check-in",
                dedupe_key=key,
                details={"due_at": due.isoformat(), "grace_minutes": schedule.grace_minutes},
            )
            raised += 1
    return raised


def _end_of_day(moment: datetime, zone: str) -> datetime:
    """The last instant of `moment`'s day on the wall clock of `zone`."""
    local = moment.astimezone(ZoneInfo(zone))
    return local_to_utc(local.date() + timedelta(days=1), time(0, 0), ZoneInfo(zone)) - timedelta(
        microseconds=1
    )
