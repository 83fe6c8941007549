"""The dispatcher: drains the outbox to the push senders, exactly once per device.

Due rows are claimed in batches with a lease (FOR UPDATE SKIP LOCKED on PostgreSQL, so
several schedulers share the work without overlap; SQLite writers are serialised), sent
outside any transaction, and then marked sent, retried with backoff, or parked after too
many failures. A dispatcher that dies mid-batch (killed, its machine lost) leaves leases
that run out within LEASE, and the rows are claimed again; a live one renews its lease
while it pushes, however slow the push services are, so nobody else takes its batch.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.orm import Session, sessionmaker

from youthapp import access, db
from youthapp.models import Device, Notification, User, YoungPerson
from youthapp.notify.senders import Outcome, PushMessage, PushSender

log = logging.getLogger(__name__)

# How long a dead dispatcher's batch waits before another takes it: an urgent push in it is
# late by this much. A live dispatcher renews its lease every RENEW_EVERY while it pushes;
# a single push gives up well within the difference (twice the push timeout).
LEASE = timedelta(minutes=1)
RENEW_EVERY = timedelta(seconds=20)
BATCH_SIZE = 100
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)  # 30 s, 1 min, 2 min, 4 min, ... capped at 1 hour
BACKOFF_CAP = timedelta(hours=1)


@dataclass
class DispatchReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    parked: int = 0
    withdrawn: int = 0
    pushes: int = 0

    def add(self, other: DispatchReport) -> None:
        self.claimed += other.claimed
        self.sent += other.sent
        self.retried += other.retried
        self.parked += other.parked
        self.withdrawn += other.withdrawn
        self.pushes += other.pushes


def backoff(attempts: int) -> timedelta:
    factor: int = 2 ** max(0, attempts - 1)  # a whole number: the exponent is never negative
    return min(BACKOFF_BASE * factor, BACKOFF_CAP)


def pending_query(*, urgent: bool, now: datetime, limit: int) -> Select[uuid.UUID]:
    """The oldest `limit` pending notifications that are due, urgent or not."""
    return (
        select(Notification.id)
        .where(
            Notification.delivery_status == "pending",
            Notification.urgent == urgent,
            Notification.deliver_after <= now,
        )
        .order_by(Notification.deliver_after, Notification.id)
        .limit(limit)
    )


def claim_due(session: Session, *, now: datetime, batch_size: int) -> list[uuid.UUID]:
    """Lease up to `batch_size` due notifications to this dispatcher; urgent ones first.

    Small queries rather than one with an OR and a mixed sort: urgent ones, then the rest,
    each an equality on `urgent` then oldest first, which is exactly the order of the
    partial index ix_notifications_due. So each is a walk of the index that stops after
    the batch, costing the same with a million rows waiting as with ten (one sort of
    `urgent DESC, deliver_after` over every pending row cost 0.2 s a claim at 400,000).
    Leases that ran out (a dispatcher died) are rare.
    """
    ids: list[uuid.UUID] = []
    for urgent in (True, False):
        ids += session.scalars(
            pending_query(urgent=urgent, now=now, limit=batch_size - len(ids)).with_for_update(
                skip_locked=True
            )
        )
        if len(ids) >= batch_size:
            break
    if len(ids) < batch_size:
        ids += session.scalars(
            select(Notification.id)
            .where(Notification.delivery_status == "sending", Notification.lease_until < now)
            .limit(batch_size - len(ids))
            .with_for_update(skip_locked=True)
        )
    if ids:
        session.execute(
            update(Notification)
            .where(Notification.id.in_(ids))
            .values(
                delivery_status="sending",
                lease_until=now + LEASE,
                attempts=Notification.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
    return ids


@dataclass
class Delivery:
    """How pushing one notification went, across its recipient's devices."""

    delivered: list[str]  # device ids it reached, now or on an earlier attempt
    retry: bool = False
    gone: list[uuid.UUID] = field(default_factory=list)  # devices their push service dropped
    error: str | None = None


@dataclass
class ClaimedBatch:
    """A leased batch, read in one transaction: the messages, their recipients' devices,
    and which may no longer go (access.may_reach)."""

    notifications: list[Notification]
    devices: dict[uuid.UUID, list[Device]]
    held: set[uuid.UUID]


def dispatch_batch(
    session_factory: sessionmaker[Session],
    senders: Sequence[PushSender],
    *,
    now: datetime,
    batch_size: int = BATCH_SIZE,
) -> DispatchReport:
    """Claim one batch, push it (outside any transaction), and record how it went."""
    report = DispatchReport()
    batch = _claim_batch(session_factory, now=now, batch_size=batch_size)
    if batch is None:
        return report
    report.claimed = len(batch.notifications)
    by_platform = {platform: sender for sender in senders for platform in sender.platforms}
    lease = _Lease(session_factory, batch, now=now)
    deliveries = {}
    for notification in batch.notifications:
        lease.keep()
        deliveries[notification.id] = _push(notification, batch, by_platform, report)
    _record(session_factory, batch, deliveries, now=now, report=report)
    return report


def _claim_batch(
    session_factory: sessionmaker[Session], *, now: datetime, batch_size: int
) -> ClaimedBatch | None:
    with session_factory.begin() as session:
        ids = claim_due(session, now=now, batch_size=batch_size)
        if not ids:
            return None
        notifications = list(session.scalars(select(Notification).where(Notification.id.in_(ids))))
        batch = ClaimedBatch(
            notifications,
            _devices_of(session, {n.user_id for n in notifications}),
            _held_back(session, notifications),
        )
        session.expunge_all()
    return batch


def _monotonic() -> float:
    return time.monotonic()


class _Lease:
    """This dispatcher's hold on its batch, renewed while the batch is being pushed."""

    def __init__(
        self, session_factory: sessionmaker[Session], batch: ClaimedBatch, *, now: datetime
    ) -> None:
        self._session_factory = session_factory
        self._ids = [notification.id for notification in batch.notifications]
        self._now = now
        self._until = now + LEASE  # as claim_due set it, on every row of the batch
        self._started = self._renewed = _monotonic()

    def keep(self) -> None:
        if _monotonic() - self._renewed < RENEW_EVERY.total_seconds():
            return
        self._renewed = _monotonic()
        until = self._now + timedelta(seconds=self._renewed - self._started) + LEASE
        with self._session_factory.begin() as session:
            session.execute(
                update(Notification)
                .where(
                    Notification.id.in_(self._ids),
                    Notification.delivery_status == "sending",
                    Notification.lease_until == self._until,  # still ours
                )
                .values(lease_until=until)
                .execution_options(synchronize_session=False)
            )
        self._until = until


def _push(
    notification: Notification,
    batch: ClaimedBatch,
    by_platform: dict[str, PushSender],
    report: DispatchReport,
) -> Delivery:
    """Send one notification to each of its recipient's devices it has not reached yet."""
    delivery = Delivery(delivered=list(notification.delivered_device_ids))
    if notification.id in batch.held:
        return delivery
    message = PushMessage(
        notification_id=str(notification.id),
        kind=notification.kind,
        title=notification.title,
        body=notification.body,
        data={k: str(v) for k, v in (notification.data or {}).items()},
        urgent=notification.urgent,
    )
    for device in batch.devices.get(notification.user_id, []):
        sender = by_platform.get(device.platform)
        if sender is None or str(device.id) in delivery.delivered:
            continue
        try:
            outcome = sender.send(device.push_token, message)
        except Exception as exc:  # a sender bug must not stop the other messages
            log.exception("push sender failed for notification %s", notification.id)
            outcome, delivery.error = Outcome.RETRY, f"{type(exc).__name__}: {exc}"[:300]
        report.pushes += 1
        if outcome is Outcome.DELIVERED:
            delivery.delivered.append(str(device.id))
        elif outcome is Outcome.GONE:
            delivery.gone.append(device.id)
        else:
            delivery.retry = True
            delivery.error = delivery.error or "push service asked us to try again"
    return delivery


def _record(
    session_factory: sessionmaker[Session],
    batch: ClaimedBatch,
    deliveries: dict[uuid.UUID, Delivery],
    *,
    now: datetime,
    report: DispatchReport,
) -> None:
    """Mark each message sent, withdrawn, to retry with backoff, or parked; disable devices
    whose push service dropped them."""
    rows, gone_devices = [], []
    for notification in batch.notifications:
        delivery = deliveries[notification.id]
        gone_devices.extend(delivery.gone)
        row = {
            "b_id": notification.id,
            "b_attempts": notification.attempts,
            "b_delivered": delivery.delivered,
            "b_status": "sent",
            "b_sent_at": now,
            "b_error": None,
            "b_after": notification.deliver_after,
        }
        if notification.id in batch.held:
            row.update(b_status="withdrawn", b_sent_at=None)
            report.withdrawn += 1
        elif not delivery.retry:
            report.sent += 1
        elif notification.attempts >= MAX_ATTEMPTS:
            row.update(b_status="parked", b_sent_at=None, b_error=delivery.error)
            report.parked += 1
            log.error(
                "parked notification %s after %d attempts: %s",
                notification.id,
                notification.attempts,
                delivery.error,
            )
        else:
            row.update(
                b_status="pending",
                b_sent_at=None,
                b_error=delivery.error,
                b_after=now + backoff(notification.attempts),
            )
            report.retried += 1
        rows.append(row)
    with session_factory.begin() as session:
        # One statement for the whole batch. Only the lease holder may record an outcome:
        # a lease that ran out was taken by another dispatcher, whose word counts.
        session.execute(_RECORD_OUTCOME, rows)
        if gone_devices:
            session.execute(
                update(Device)
                .where(Device.id.in_(gone_devices))
                .values(disabled_at=now, updated_at=now)
                .execution_options(synchronize_session=False)
            )


_outbox = db.table_of(Notification)
_RECORD_OUTCOME = (
    _outbox.update()
    .where(
        _outbox.c.id == bindparam("b_id"),
        _outbox.c.delivery_status == "sending",
        _outbox.c.attempts == bindparam("b_attempts"),
    )
    .values(
        delivery_status=bindparam("b_status"),
        sent_at=bindparam("b_sent_at"),
        last_error=bindparam("b_error"),
        deliver_after=bindparam("b_after"),
        delivered_device_ids=bindparam("b_delivered"),
        lease_until=None,
    )
)


def dispatch_due(
    session_factory: sessionmaker[Session],
    senders: Sequence[PushSender],
    *,
    now: datetime,
    batch_size: int = BATCH_SIZE,
    max_batches: int = 10_000,
) -> DispatchReport:
    """Drain everything due now, batch by batch."""
    total = DispatchReport()
    for _ in range(max_batches):
        report = dispatch_batch(session_factory, senders, now=now, batch_size=batch_size)
        total.add(report)
        if report.claimed:
            log.info(
                "dispatched %d: %d sent, %d to retry, %d parked, %d pushes",
                report.claimed,
                report.sent,
                report.retried,
                report.parked,
                report.pushes,
            )
        if report.claimed < batch_size:
            break
    return total


def _held_back(session: Session, notifications: list[Notification]) -> set[uuid.UUID]:
    """Messages that may no longer go: their young person's support was paused or ended
    after they were made (access.may_reach)."""
    statuses = dict(
        session.execute(
            select(User.id, YoungPerson.status)
            .join(YoungPerson, YoungPerson.id == User.young_person_id)
            .where(User.id.in_({n.user_id for n in notifications}))
        ).all()
    )
    return {
        n.id
        for n in notifications
        if not access.may_reach(statuses.get(n.user_id), n.kind, urgent=n.urgent)
    }


def _devices_of(session: Session, user_ids: set[uuid.UUID]) -> dict[uuid.UUID, list[Device]]:
    devices: dict[uuid.UUID, list[Device]] = defaultdict(list)
    if user_ids:
        for device in session.scalars(
            select(Device).where(Device.user_id.in_(user_ids), Device.disabled_at.is_(None))
        ):
            devices[device.user_id].append(device)
    return devices
