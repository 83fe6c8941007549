"""The outbox and its dispatcher: urgent first and at once, quiet hours respected, retries
with backoff, parking, dead tokens, and several schedulers never sending anything twice."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import delete, func, insert, select

from scheduler import jobs
from scheduler.jobs import run_all_once, run_sweep
from tests.factories import add_device
from youthapp import windows
from youthapp.models import Appointment, Device, Notification, User
from youthapp.notify import dispatcher, outbox
from youthapp.notify.senders import Outcome, RecordingSender
from youthapp.services import notifications


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture
def young_person(as_role, programme, db):
    _, caller = programme.young_person(as_role("coordinator"))
    add_device(db, caller.user.id)
    # Start from an empty outbox: enrolling told the coordinator and the referrer.
    db.execute(delete(Notification))
    db.commit()
    return caller


def notify(app, user_id, kind="plan_updated", now=None, **options):
    with app.extensions["youthapp"].session_factory.begin() as session:
        user = session.get(User, user_id)
        return notifications.notify(
            session, user, kind, data={"x": 1}, now=now or datetime.now(UTC), **options
        ).id


def book_many(db, young_person, mentor, count: int) -> datetime:
    """`count` appointments 30 s apart from two days on; returns when the first starts."""
    first = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    db.execute(
        insert(Appointment),
        [
            {
                "id": uuid.uuid4(),
                "young_person_id": young_person.user.young_person_id,
                "mentor_id": mentor.user.id,
                "starts_at": first + timedelta(seconds=30 * n),
                "ends_at": first + timedelta(seconds=30 * n + 300),
                "duration_minutes": 5,
                "mode": "phone",
                "status": "scheduled",
                "young_person_response": "pending",
                "created_by_id": mentor.user.id,
                "sequence": 0,
                "timing_sequence": 0,
                "version": 1,
                "created_at": datetime.now(UTC),
                "updated_at": datetime.now(UTC),
                "timing_set_at": datetime.now(UTC),
            }
            for n in range(count)
        ],
    )
    db.commit()
    return first


class FlakySender(RecordingSender):
    def __init__(self, outcome: Outcome) -> None:
        super().__init__()
        self.outcome = outcome

    def send(self, push_token, message):
        super().send(push_token, message)
        return self.outcome


def test_a_due_message_is_pushed_once_in_discreet_words(app, context, sender, young_person, db):
    notify(app, young_person.user.id)
    report = dispatcher.dispatch_due(context.session_factory, [sender], now=datetime.now(UTC))
    assert (report.claimed, report.sent) == (1, 1)
    [(_, message)] = sender.sent
    assert (message.title, message.body) == ("You have a new message", "Open the app to read it.")
    again = dispatcher.dispatch_due(context.session_factory, [sender], now=datetime.now(UTC))
    assert again.claimed == 0 and len(sender.sent) == 1


def test_quiet_hours_hold_a_message_until_they_end(app, context, sender, young_person, db):
    user = db.get(User, young_person.user.id)
    user.contact_windows = windows.from_quiet_hours(time(22, 0), time(7, 0))
    db.commit()
    notify(app, user.id, now=at("2027-01-10T23:00:00+00:00"))
    assert (
        dispatcher.dispatch_due(
            context.session_factory, [sender], now=at("2027-01-11T06:59:00+00:00")
        ).claimed
        == 0
    )
    assert (
        dispatcher.dispatch_due(
            context.session_factory, [sender], now=at("2027-01-11T07:00:00+00:00")
        ).sent
        == 1
    )


def test_alerts_to_staff_never_wait_and_go_first(app, context, sender, as_role, db):
    coordinator = as_role("coordinator")
    user = db.get(User, coordinator.user.id)
    user.contact_windows = windows.from_quiet_hours(time(0, 0), time(23, 59))
    db.commit()
    add_device(db, user.id, platform="ios")
    now = datetime.now(UTC)
    notify(app, user.id, kind="plan_review_due", now=now, reason="test")
    notify(app, user.id, kind="alert", now=now, kind_label="urgent_help")
    report = dispatcher.dispatch_due(context.session_factory, [sender], now=now)
    assert report.sent == 1
    assert sender.sent[0][1].kind == "alert" and sender.sent[0][1].urgent is True


def test_a_failing_push_is_retried_with_backoff_and_parked_in_the_end(
    app, context, young_person, db
):
    failing = FlakySender(Outcome.RETRY)
    notification_id = notify(app, young_person.user.id)
    now = datetime.now(UTC)
    for attempt in range(1, dispatcher.MAX_ATTEMPTS + 1):
        report = dispatcher.dispatch_due(context.session_factory, [failing], now=now)
        assert report.claimed == 1, attempt
        db.rollback()
        row = db.get(Notification, notification_id)
        if attempt < dispatcher.MAX_ATTEMPTS:
            assert row.delivery_status == "pending"
            assert row.deliver_after == now + dispatcher.backoff(attempt)
            assert dispatcher.dispatch_due(context.session_factory, [failing], now=now).claimed == 0
            now = row.deliver_after
    assert row.delivery_status == "parked" and row.last_error
    assert dispatcher.backoff(1) == timedelta(seconds=30)
    assert dispatcher.backoff(20) == timedelta(hours=1)


def test_a_dead_token_disables_the_device(app, context, young_person, db):
    notify(app, young_person.user.id)
    report = dispatcher.dispatch_due(
        context.session_factory, [FlakySender(Outcome.GONE)], now=datetime.now(UTC)
    )
    assert report.sent == 1
    db.rollback()
    assert db.scalar(select(Device.disabled_at).where(Device.user_id == young_person.user.id))


def test_a_lease_that_ran_out_is_claimed_again(app, context, sender, young_person, db):
    notify(app, young_person.user.id)
    now = datetime.now(UTC)
    with context.session_factory.begin() as session:  # a dispatcher that died mid-batch
        assert len(dispatcher.claim_due(session, now=now, batch_size=10)) == 1
    assert dispatcher.dispatch_due(context.session_factory, [sender], now=now).claimed == 0
    later = now + dispatcher.LEASE + timedelta(seconds=1)
    assert dispatcher.dispatch_due(context.session_factory, [sender], now=later).sent == 1


def test_a_dead_dispatchers_urgent_push_goes_within_a_minute(app, context, sender, young_person):
    """A scheduler killed holding a batch delays its urgent pushes by the lease, no more."""
    notify(app, young_person.user.id, kind="alert", kind_label="urgent_help")
    now = datetime.now(UTC)
    with context.session_factory.begin() as session:  # claimed, then the process was killed
        assert len(dispatcher.claim_due(session, now=now, batch_size=10)) == 1
    assert dispatcher.LEASE <= timedelta(minutes=1)
    later = now + dispatcher.LEASE + timedelta(seconds=1)
    assert dispatcher.dispatch_due(context.session_factory, [sender], now=later).sent == 1
    assert [message.kind for _, message in sender.sent] == ["alert"]


def test_a_slow_batch_keeps_its_lease_and_is_not_sent_twice(
    app, context, young_person, monkeypatch
):
    """Pushing a batch that takes longer than the lease (slow push services) renews it, so
    a second dispatcher arriving after the first lease would have run out takes nothing."""
    for _ in range(3):
        notify(app, young_person.user.id)
    clock = iter(range(0, 10_000, 30))  # every look at the clock: 30 s later
    monkeypatch.setattr(dispatcher, "_monotonic", lambda: next(clock))
    now = datetime.now(UTC)
    sent_twice, second = [], RecordingSender()

    class Slow(RecordingSender):
        def send(self, push_token, message):
            if len(self.sent) == 1:  # meanwhile, another scheduler, later than the old lease
                report = dispatcher.dispatch_due(
                    context.session_factory,
                    [second],
                    now=now + dispatcher.LEASE + timedelta(seconds=5),
                )
                sent_twice.append(report.claimed)
            return super().send(push_token, message)

    first = Slow()
    report = dispatcher.dispatch_due(context.session_factory, [first], now=now)
    assert report.sent == 3
    assert len(first.sent) == 3
    assert sent_twice == [0] and second.sent == []


def test_four_schedulers_at_once_deliver_each_reminder_exactly_once(
    app, context, young_person, db, as_role
):
    count = 2000
    first = book_many(db, young_person, as_role("mentor"), count)
    now = first - timedelta(minutes=1)  # all start within 17 hours: each has a reminder due
    shared = RecordingSender()
    lock = threading.Lock()

    class ThreadSafe(RecordingSender):
        def send(self, push_token, message):
            with lock:
                return shared.send(push_token, message)

    errors, barrier = [], threading.Barrier(4)

    def scheduler():
        try:
            barrier.wait()
            run_all_once(
                context.__class__(
                    context.settings, context.engine, context.session_factory, [ThreadSafe()]
                ),
                now,
            )
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=scheduler) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ids = [message.notification_id for _, message in shared.sent]
    assert len(ids) == count and len(set(ids)) == count
    db.rollback()
    assert (
        db.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.kind == "appointment_reminder")
        )
        == count
    )
    assert (
        db.scalar(
            select(func.count())
            .select_from(Notification)
            .where(
                Notification.kind == "appointment_reminder", Notification.delivery_status != "sent"
            )
        )
        == 0
    )


def test_after_a_burst_of_reminders_each_claim_walks_the_index_not_a_sort(
    app, context, young_person, db, as_role, monkeypatch
):
    """After a sweep makes many messages (and refreshes the planner's statistics), the
    claim is an index walk that stops after one batch: claiming costs the same with a
    million messages waiting as with ten. A sort of every pending row did not (bench/)."""
    monkeypatch.setattr(jobs, "REFRESH_STATISTICS_AFTER", 500)
    outbox.refresh_statistics(context.engine)  # the planner last looked at an empty outbox
    first = book_many(db, young_person, as_role("mentor"), 1500)
    now = first - timedelta(minutes=1)
    assert run_sweep(context, "appointment_reminders", now) == 1500
    claim = dispatcher.pending_query(urgent=False, now=now, limit=dispatcher.BATCH_SIZE)
    sql = str(claim.compile(context.engine, compile_kwargs={"literal_binds": True}))
    with context.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            plan = "\n".join(connection.exec_driver_sql(f"EXPLAIN {sql}").scalars())
            assert "ix_notifications_due" in plan and "Sort" not in plan, plan
        else:
            plan = "\n".join(
                row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
            )
            assert "ix_notifications_due" in plan and "TEMP B-TREE" not in plan, plan
