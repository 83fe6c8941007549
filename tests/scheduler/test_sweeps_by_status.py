"""Every sweep walked with an active, a paused and an exited young person set up alike:
only the active one is served (prompted, reminded, counted as missing a check-in, alerted
on about a timer, reviewed)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from scheduler.jobs import run_sweep, sweep_names
from youthapp.models import (
    Alert,
    CheckInSchedule,
    Goal,
    Notification,
    SafetyTimer,
    SupportPlan,
    User,
)

EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@pytest.fixture
def three(as_role, programme, db):
    """(coordinator, mentor, {status: (young person id, their client)}), with the same
    appointment tomorrow, the same daily schedule, a running timer, an overdue goal and a
    stale plan for each."""
    coordinator = as_role("coordinator")
    mentor = as_role("mentor", specialty="housing")
    people = {}
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(second=0, microsecond=0)
    for n, status in enumerate(("active", "paused", "exited")):
        person_id, young_person = programme.young_person(coordinator)
        programme.assign(coordinator, person_id, mentor)
        mentor.post(
            "/api/v1/appointments",
            json={
                "young_person_id": person_id,
                "mentor_id": str(mentor.user.id),
                "starts_at": (tomorrow + timedelta(hours=2 * n)).isoformat(),
                "duration_minutes": 60,
                "mode": "phone",
            },
        )
        path = f"/api/v1/young-people/{person_id}/check-in-schedule"
        mentor.put(
            path,
            json={"days": EVERY_DAY, "local_time": "18:00", "grace_minutes": 90, "active": True},
            headers={"If-Match": mentor.get(path).headers["ETag"]},
        )
        mentor.post(
            f"/api/v1/young-people/{person_id}/plan/goals",
            json={
                "domain": "housing",
                "title": "Form",
                "description": "",
                "target_date": (datetime.now(UTC).date() + timedelta(days=1)).isoformat(),
            },
        )
        back = datetime.now(UTC) + timedelta(hours=2)
        young_person.post("/api/v1/me/safety-timers", json={"expected_back_at": back.isoformat()})
        people[status] = (person_id, young_person)
    # Schedules counted from a day ago, so every sweep has something due.
    db.rollback()
    for schedule in db.scalars(select(CheckInSchedule)):
        schedule.effective_from = datetime.now(UTC) - timedelta(days=1)
    db.commit()
    for status in ("paused", "exited"):
        person_id, _ = people[status]
        response = coordinator.patch(f"/api/v1/young-people/{person_id}", json={"status": status})
        assert response.status_code == 200
    return coordinator, mentor, people


def served(db, young_person_ids: dict[str, str]) -> dict[str, set[str]]:
    """For each status, what the sweeps did about that young person."""
    db.rollback()
    found: dict[str, set[str]] = {status: set() for status in young_person_ids}
    by_id = {uuid.UUID(person_id): status for status, person_id in young_person_ids.items()}
    for alert in db.scalars(select(Alert)):
        found[by_id[alert.young_person_id]].add(f"alert:{alert.kind}")
    for notification in db.scalars(
        select(Notification).where(
            Notification.kind.in_(("appointment_reminder", "check_in_prompt", "plan_review_due"))
        )
    ):
        person = notification.data.get("young_person_id")
        if person is None:  # to the young person themself
            person = str(db.get(User, notification.user_id).young_person_id)
        found[by_id[uuid.UUID(person)]].add(notification.kind)
    return found


def test_every_sweep_serves_only_the_active_young_person(three, context, db):
    _, _, people = three
    ids = {status: person_id for status, (person_id, _) in people.items()}
    # Stale plans: reviewed more than 28 days ago.
    db.rollback()
    for plan in db.scalars(select(SupportPlan)):
        plan.reviewed_at = datetime.now(UTC) - timedelta(days=40)
    for goal in db.scalars(select(Goal)):
        goal.target_date = datetime.now(UTC).date() - timedelta(days=3)
    db.commit()

    start = datetime.now(UTC)
    for hours in range(0, 48):
        moment = start + timedelta(hours=hours)
        for name in sweep_names(context.settings):
            run_sweep(context, name, moment)

    found = served(db, ids)
    assert {
        "appointment_reminder",
        "check_in_prompt",
        "plan_review_due",
        "alert:missed_check_in",
        "alert:safety_timer_expired",
    } <= found["active"], found["active"]
    assert found["paused"] == set()
    assert found["exited"] == set()
    db.rollback()
    timers = {str(timer.young_person_id): timer.status for timer in db.scalars(select(SafetyTimer))}
    assert (timers[ids["paused"]], timers[ids["exited"]]) == ("stopped", "stopped")
