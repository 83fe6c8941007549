"""Which expected check-ins were missed, worked out from the data and a `now`, in the young
person's wall-clock time across clock changes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest

from youthapp.models import Alert, CheckIn, CheckInSchedule
from youthapp.services import schedules


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def schedule(**overrides) -> CheckInSchedule:
    values = {
        "young_person_id": uuid.uuid4(),
        "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "local_time": time(18, 0),
        "timezone": "Europe/London",
        "grace_minutes": 60,
        "active": True,
        "effective_from": at("2026-01-01T00:00:00+00:00"),
        "updated_at": at("2026-01-01T00:00:00+00:00"),
    }
    return CheckInSchedule(**{**values, **overrides})


def test_occurrences_stay_at_the_wall_clock_time_across_clock_changes():
    daily = schedule()
    spring = list(
        schedules.occurrences(daily, at("2027-03-27T00:00:00Z"), at("2027-03-30T00:00:00Z"))
    )
    assert spring == [
        at("2027-03-27T18:00:00Z"),
        at("2027-03-28T17:00:00Z"),
        at("2027-03-29T17:00:00Z"),
    ]
    autumn = list(
        schedules.occurrences(daily, at("2027-10-30T00:00:00Z"), at("2027-11-01T00:00:00Z"))
    )
    assert autumn == [at("2027-10-30T17:00:00Z"), at("2027-10-31T18:00:00Z")]


def test_only_the_scheduled_weekdays():
    weekly = schedule(days=["mon"])
    found = list(
        schedules.occurrences(weekly, at("2026-11-23T00:00:00Z"), at("2026-12-07T00:00:00Z"))
    )
    assert found == [at("2026-11-23T18:00:00Z"), at("2026-11-30T18:00:00Z")]


def test_a_time_skipped_by_the_spring_change_moves_forward():
    night = schedule(local_time=time(1, 30))
    found = list(
        schedules.occurrences(night, at("2027-03-28T00:00:00Z"), at("2027-03-28T06:00:00Z"))
    )
    assert found == [at("2027-03-28T01:30:00Z")]  # 02:30 BST, just after the gap


@pytest.fixture
def young_person_id(as_role, programme):
    person_id, _ = programme.young_person(as_role("coordinator"))
    return uuid.UUID(person_id)


def sweep(app, now: datetime) -> int:
    with app.extensions["youthapp"].session_factory.begin() as session:
        return schedules.raise_missed_check_ins(session, now=now)


def test_a_missed_check_in_raises_one_alert_after_the_grace_period(app, db, young_person_id):
    db.add(schedule(young_person_id=young_person_id, effective_from=at("2027-03-27T12:00:00Z")))
    db.commit()
    assert sweep(app, at("2027-03-28T17:59:00Z")) == 1  # the 27th (18:00 GMT) only
    # The 28th is due at 17:00Z (18:00 BST) and its grace runs to 18:00Z.
    assert sweep(app, at("2027-03-28T18:01:00Z")) == 1
    assert sweep(app, at("2027-03-28T18:05:00Z")) == 0  # a second run raises nothing new
    due = sorted(a.details["due_at"] for a in db.query(Alert).filter_by(kind="missed_check_in"))
    assert due == ["2027-03-27T18:00:00+00:00", "2027-03-28T17:00:00+00:00"]


def test_a_check_in_since_the_last_deadline_counts(app, db, young_person_id):
    db.add(schedule(young_person_id=young_person_id, effective_from=at("2027-03-28T12:00:00Z")))
    db.add(
        CheckIn(
            young_person_id=young_person_id,
            client_ref="early",
            mood=4,
            feeling_safe=True,
            needs_help=False,
            created_at=at("2027-03-28T16:30:00Z"),
            updated_at=at("2027-03-28T16:30:00Z"),
            alert_ids=[],
        )
    )
    db.commit()
    assert sweep(app, at("2027-03-28T19:00:00Z")) == 0
    assert sweep(app, at("2027-03-29T18:01:00Z")) == 1  # nothing since: the 29th is missed


def test_occurrences_before_the_schedule_was_set_never_count(app, db, young_person_id):
    db.add(schedule(young_person_id=young_person_id, effective_from=at("2027-03-28T17:30:00Z")))
    db.commit()
    assert sweep(app, at("2027-03-28T18:30:00Z")) == 0  # due 17:00Z, before it was set
    assert sweep(app, at("2027-03-29T18:30:00Z")) == 1


def test_inactive_schedules_raise_nothing(app, db, young_person_id):
    db.add(schedule(young_person_id=young_person_id, active=False))
    db.commit()
    assert sweep(app, at("2027-03-28T20:00:00Z")) == 0


def test_a_scheduler_that_was_down_catches_up_only_two_days(app, db, young_person_id):
    db.add(schedule(young_person_id=young_person_id, effective_from=at("2027-01-01T00:00:00Z")))
    db.commit()
    now = at("2027-03-28T18:30:00Z")
    assert sweep(app, now) == 3  # the 26th, 27th and 28th; not the weeks before
    due = [datetime.fromisoformat(a.details["due_at"]) for a in db.query(Alert)]
    assert min(due) >= now - schedules.LOOK_BACK - timedelta(hours=1)
