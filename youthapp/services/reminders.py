"""The scheduler's sweeps that create messages: appointment reminders, check-in prompts,
escalation of urgent alerts nobody picked up, and plan reviews that are due.

Each takes `now` and works out what is due from the data alone, so any number of runs, at
any times, in any order and in several processes at once, create each message once (its
dedupe key), and a scheduler that was down catches up when it returns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from youthapp import access
from youthapp.clock import describe_local
from youthapp.models import (
    URGENT_KINDS,
    Alert,
    Appointment,
    CheckIn,
    CheckInSchedule,
    Goal,
    SupportPlan,
    User,
    YoungPerson,
)
from youthapp.notify import outbox
from youthapp.services import alerts
from youthapp.services.notifications import notification_row
from youthapp.services.schedules import occurrences

REVIEW_AFTER = timedelta(days=28)
BATCH = 500

T = TypeVar("T")


def _batches(items: Iterable[T]) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert_in_batches(session: Session, rows: Iterable[dict[str, Any]]) -> int:
    return sum(outbox.insert_new(session, batch) for batch in _batches(rows))


def appointment_reminders(session: Session, *, now: datetime, offsets: Sequence[timedelta]) -> int:
    """Remind young people of appointments (by default 24 hours and 1 hour before).

    Only the nearest reminder that is due is sent (a scheduler back from a day down does
    not send "tomorrow" an hour before), none for a time already past when the appointment
    was booked or moved, none for cancelled ones; moving an appointment gives new keys."""
    offsets = sorted(offsets)
    rows = session.execute(
        select(Appointment, User, YoungPerson.status_changed_at)
        .join(
            User,
            and_(User.young_person_id == Appointment.young_person_id, User.is_active.is_(True)),
        )
        .join(YoungPerson, YoungPerson.id == Appointment.young_person_id)
        .where(
            YoungPerson.status == "active",
            Appointment.status == "scheduled",
            Appointment.starts_at > now,
            Appointment.starts_at <= now + offsets[-1],
        )
        .order_by(Appointment.starts_at, Appointment.id)
        .execution_options(yield_per=BATCH)
    )

    def reminders() -> Iterator[dict[str, Any]]:
        for appointment, account, resumed_at in rows:
            # None due before the time was set, or before the case was last active again.
            since = max(appointment.timing_set_at, resumed_at or appointment.timing_set_at)
            due = [offset for offset in offsets if since <= appointment.starts_at - offset <= now]
            if not due:
                continue
            offset = due[0]
            minutes = int(offset.total_seconds() // 60)
            yield notification_row(
                account,
                "appointment_reminder",
                now=now,
                subject_id=appointment.id,
                data={"appointment_id": str(appointment.id), "minutes_before": minutes},
                dedupe_key=f"reminder:{appointment.id}:{minutes}:{appointment.timing_sequence}",
                when_words="on " + describe_local(appointment.starts_at, account.timezone),
            )

    return _insert_in_batches(session, reminders())


def check_in_prompts(session: Session, *, now: datetime) -> int:
    """Prompt each young person at their scheduled local time (until its grace runs out),
    unless they have checked in within the hour before.

    Schedules stream in batches, each with one look-up of recent check-ins, so memory and
    query parameters stay the same however many young people the programme holds."""
    rows = session.execute(
        select(CheckInSchedule, User)
        .join(
            User,
            and_(User.young_person_id == CheckInSchedule.young_person_id, User.is_active.is_(True)),
        )
        .join(YoungPerson, YoungPerson.id == CheckInSchedule.young_person_id)
        .where(CheckInSchedule.active.is_(True), YoungPerson.status == "active")
        .execution_options(yield_per=BATCH)
    )

    def due_prompts() -> Iterator[tuple[User, datetime]]:
        for schedule, account in rows:
            grace = timedelta(minutes=schedule.grace_minutes)
            due = [
                moment
                for moment in occurrences(schedule, now - grace, now + timedelta(seconds=1))
                if schedule.effective_from <= moment <= now
            ]
            if due:
                yield account, due[-1]

    created = 0
    for batch in _batches(due_prompts()):
        checked_in = _latest_check_ins(session, batch)
        created += outbox.insert_new(
            session,
            [
                notification_row(
                    account,
                    "check_in_prompt",
                    now=now,
                    data={"due_at": moment.isoformat()},
                    dedupe_key=f"prompt:{account.young_person_id}:{moment.isoformat()}",
                )
                for account, moment in batch
                if not (
                    (latest := checked_in.get(account.young_person_id))
                    and latest > moment - timedelta(hours=1)
                )
            ],
        )
    return created


def _latest_check_ins(
    session: Session, prompts: Sequence[tuple[User, datetime]]
) -> dict[Any, datetime]:
    """Each prompted young person's latest check-in in the hour before their prompt."""
    earliest = min(moment for _, moment in prompts) - timedelta(hours=1)
    return dict(
        session.execute(
            select(CheckIn.young_person_id, func.max(CheckIn.created_at))
            .where(
                CheckIn.young_person_id.in_([user.young_person_id for user, _ in prompts]),
                CheckIn.created_at > earliest,
            )
            .group_by(CheckIn.young_person_id)
        ).all()
    )


def escalate_unacknowledged(session: Session, *, now: datetime, window: timedelta) -> int:
    """An urgent alert still open (nobody acknowledged it, and the facts did not resolve
    it) `window` after it was raised raises one urgent_help_unacknowledged alert to every
    coordinator. Whatever the young person's status: an urgent alert is always answered."""
    waiting = session.scalars(
        select(Alert)
        .where(
            Alert.kind.in_(URGENT_KINDS),
            Alert.status == "open",
            Alert.escalated_at.is_(None),
            Alert.created_at <= now - window,
        )
        .order_by(Alert.created_at)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    for alert in waiting:
        alerts.raise_alert(
            session,
            alert.young_person_id,
            alerts.ESCALATION,
            now=now,
            summary=f"Nobody acknowledged an urgent alert ({alert.kind}) "
            f"within {int(window.total_seconds() // 60)} minutes",
            details={
                "alert_id": str(alert.id),
                "kind": alert.kind,
                "raised_at": alert.created_at.isoformat(),
            },
            subject=("alert", alert.id),
            dedupe_key=f"escalation:{alert.id}",
        )
        alert.escalated_at = now
    session.flush()
    return len(waiting)


def plan_reviews(session: Session, *, now: datetime, today_zone: str) -> int:
    """Tell each mentor in scope when a goal passes its target date, or when a plan has
    gone 28 days without a staff review (once per goal date, once per review period); only
    for active cases.

    Goals and plans stream in batches, each with one look-up of the mentors in scope."""
    from zoneinfo import ZoneInfo

    today = now.astimezone(ZoneInfo(today_zone)).date()
    active = YoungPerson.status == "active"
    overdue_goals = session.execute(
        select(Goal.id, Goal.young_person_id, Goal.target_date)
        .join(YoungPerson, YoungPerson.id == Goal.young_person_id)
        .where(
            active, Goal.archived_at.is_(None), Goal.status != "achieved", Goal.target_date < today
        )
        .execution_options(yield_per=BATCH)
    )
    created = 0
    for batch in _batches(overdue_goals):
        mentors = _live_mentors(session, {young_person_id for _, young_person_id, _ in batch})
        created += _insert_in_batches(
            session,
            (
                notification_row(
                    mentor,
                    "plan_review_due",
                    now=now,
                    reason="a goal passed its target date",
                    data={"young_person_id": str(young_person_id), "goal_id": str(goal_id)},
                    dedupe_key=f"plan_review:goal:{goal_id}:{target_date}:{mentor.id}",
                )
                for goal_id, young_person_id, target_date in batch
                for mentor in mentors[young_person_id]
            ),
        )

    reviewed = func.coalesce(SupportPlan.reviewed_at, SupportPlan.updated_at)
    stale_plans = session.execute(
        select(SupportPlan.young_person_id, reviewed)
        .join(YoungPerson, YoungPerson.id == SupportPlan.young_person_id)
        .where(active, reviewed <= now - REVIEW_AFTER)
        .execution_options(yield_per=BATCH)
    )
    for plan_batch in _batches(stale_plans):
        mentors = _live_mentors(session, {young_person_id for young_person_id, _ in plan_batch})
        created += _insert_in_batches(
            session,
            (
                notification_row(
                    mentor,
                    "plan_review_due",
                    now=now,
                    reason="not reviewed for 28 days",
                    data={"young_person_id": str(young_person_id)},
                    dedupe_key=f"plan_review:plan:{young_person_id}:{reviewed_at.date()}:"
                    f"{mentor.id}",
                )
                for young_person_id, reviewed_at in plan_batch
                for mentor in mentors[young_person_id]
            ),
        )
    return created


def _live_mentors(session: Session, young_people: Collection[Any]) -> dict[Any, list[User]]:
    """The mentors in scope of each of `young_people` (access.mentors_in_scope)."""
    mentors: dict[Any, list[User]] = defaultdict(list)
    for young_person_id, mentor in session.execute(access.mentors_in_scope(young_people)):
        mentors[young_person_id].append(mentor)
    return mentors
