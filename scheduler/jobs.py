"""The scheduler's jobs: thin wrappers that open a transaction, call one sweep with `now`,
and log one line. What is due is worked out from the data, so a job is safe to run twice."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from youthapp.audit import Origin, current_origin
from youthapp.config import Settings
from youthapp.notify import outbox
from youthapp.notify.dispatcher import DispatchReport, dispatch_due
from youthapp.notify.senders import PushSender
from youthapp.services import (
    consents,
    heartbeats,
    idempotency,
    messages,
    privacy,
    reminders,
    schedules,
    throttle,
    timers,
)

log = logging.getLogger("scheduler")

# A sweep that makes this many messages or more refreshes the outbox's statistics, so the
# dispatcher's claims that follow are planned for what is there (outbox.refresh_statistics).
REFRESH_STATISTICS_AFTER = 10_000


@dataclass
class SchedulerContext:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    senders: Sequence[PushSender]


def _sweeps(settings: Settings) -> dict[str, Callable[[Session, datetime], int]]:
    offsets = [timedelta(minutes=m) for m in settings.reminder_offsets_minutes]
    window = timedelta(minutes=settings.escalation_minutes)
    answer = timedelta(hours=settings.message_answer_hours)
    return {
        "expired_safety_timers": lambda s, now: timers.raise_expired(s, now=now),
        "safety_timer_warnings": lambda s, now: timers.warn_ending(s, now=now),
        "consent_reviews": lambda s, now: consents.review_birthdays(s, now=now),
        "unanswered_messages": lambda s, now: messages.raise_unanswered(s, now=now, window=answer),
        "escalations": lambda s, now: reminders.escalate_unacknowledged(s, now=now, window=window),
        "missed_check_ins": lambda s, now: schedules.raise_missed_check_ins(s, now=now),
        "check_in_prompts": lambda s, now: reminders.check_in_prompts(s, now=now),
        "appointment_reminders": lambda s, now: reminders.appointment_reminders(
            s, now=now, offsets=offsets
        ),
        "plan_reviews": lambda s, now: reminders.plan_reviews(
            s, now=now, today_zone=settings.default_timezone
        ),
        "housekeeping": lambda s, now: housekeeping(s, now),
        "retention": lambda s, now: privacy.erase_after_retention(
            s, now=now, months=settings.retention_months
        ),
    }


def housekeeping(session: Session, now: datetime) -> int:
    """Forget what is only kept for a while: idempotency keys after a day, failed sign-in
    attempts once no throttle window can count them, heartbeats of schedulers long gone."""
    return (
        idempotency.purge_expired(session, now=now)
        + throttle.purge_older_than(session, now - timedelta(days=2))
        + heartbeats.forget_old(session, now=now)
    )


def sweep_names(settings: Settings) -> list[str]:
    return list(_sweeps(settings))


def run_sweep(context: SchedulerContext, name: str, now: datetime) -> int:
    current_origin.set(Origin(request_id=f"scheduler:{name}"))
    sweep = _sweeps(context.settings)[name]
    with context.session_factory.begin() as session:
        count = sweep(session, now)
    if count >= REFRESH_STATISTICS_AFTER:
        outbox.refresh_statistics(context.engine)
    log.info("%s at %s: %d", name, now.isoformat(timespec="seconds"), count)
    return count


def dispatch(context: SchedulerContext, now: datetime) -> DispatchReport:
    return dispatch_due(context.session_factory, context.senders, now=now)


def run_all_once(context: SchedulerContext, now: datetime) -> dict[str, int]:
    """Every sweep once, as if the clock read `now`, then deliver what is due."""
    counts = {name: run_sweep(context, name, now) for name in sweep_names(context.settings)}
    counts["delivered"] = dispatch(context, now).sent
    return counts
