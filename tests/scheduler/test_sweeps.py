"""Every sweep, driven through `now`: reminders, prompts, escalation, plan reviews, and a
scheduler that was down catching up exactly once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from scheduler.jobs import run_all_once, run_sweep
from tests.factories import book, sent_to
from youthapp.models import Alert, CheckIn, Goal, SupportPlan
from youthapp.services import reminders


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture
def setting(as_role, programme):
    coordinator = as_role("coordinator")
    mentor = as_role("mentor")
    person_id, young_person = programme.young_person(coordinator)
    programme.assign(coordinator, person_id, mentor)
    return coordinator, mentor, person_id, young_person


def checked_in_at(db, person_id: str, moment: datetime) -> None:
    db.add(
        CheckIn(
            young_person_id=uuid.UUID(person_id),
            client_ref=f"at-{moment.isoformat()}",
            mood=4,
            feeling_safe=True,
            needs_help=False,
            alert_ids=[],
            created_at=moment,
            updated_at=moment,
        )
    )
    db.commit()


def soon(days: int) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)


class TestAppointmentReminders:
    def test_a_day_before_and_an_hour_before_each_once(self, setting, context, db):
        _, mentor, person_id, young_person = setting
        starts = soon(3)
        book(mentor, person_id, starts)
        assert run_sweep(context, "appointment_reminders", starts - timedelta(hours=25)) == 0
        assert run_sweep(context, "appointment_reminders", starts - timedelta(hours=23)) == 1
        assert run_sweep(context, "appointment_reminders", starts - timedelta(hours=22)) == 0
        assert run_sweep(context, "appointment_reminders", starts - timedelta(minutes=59)) == 1
        assert run_sweep(context, "appointment_reminders", starts - timedelta(minutes=5)) == 0
        assert run_sweep(context, "appointment_reminders", starts + timedelta(minutes=5)) == 0
        sent = sent_to(db, young_person, "appointment_reminder")
        assert [n.data["minutes_before"] for n in sent] == [1440, 60]
        assert all(n.title == "You have a new message" for n in sent)  # discreet by default

    def test_a_scheduler_back_late_sends_only_the_nearest(self, setting, context, db):
        _, mentor, person_id, young_person = setting
        starts = soon(3)
        book(mentor, person_id, starts)
        assert run_sweep(context, "appointment_reminders", starts - timedelta(minutes=30)) == 1
        assert [
            n.data["minutes_before"] for n in sent_to(db, young_person, "appointment_reminder")
        ] == [60]

    def test_none_that_fell_due_before_booking_and_none_for_cancelled(self, setting, context, db):
        _, mentor, person_id, young_person = setting
        close = book(
            mentor, person_id, datetime.now(UTC).replace(microsecond=0) + timedelta(hours=20)
        )
        starts = datetime.fromisoformat(close["starts_at"])
        assert run_sweep(context, "appointment_reminders", starts - timedelta(hours=2)) == 0
        cancelled = book(mentor, person_id, soon(4))
        mentor.post(f"/api/v1/appointments/{cancelled['id']}/cancel", json={"reason": "ill"})
        assert (
            run_sweep(
                context,
                "appointment_reminders",
                datetime.fromisoformat(cancelled["starts_at"]) - timedelta(hours=23),
            )
            == 0
        )
        assert run_sweep(context, "appointment_reminders", starts - timedelta(minutes=50)) == 1

    def test_moving_an_appointment_withdraws_unsent_reminders_and_recomputes(
        self, setting, context, db
    ):
        _, mentor, person_id, young_person = setting
        starts = soon(3)
        booked = book(mentor, person_id, starts)
        run_sweep(context, "appointment_reminders", starts - timedelta(hours=23))
        assert len(sent_to(db, young_person, "appointment_reminder")) == 1
        url = f"/api/v1/appointments/{booked['id']}"
        later = starts + timedelta(days=2)
        mentor.patch(
            url,
            json={"starts_at": later.isoformat()},
            headers={"If-Match": mentor.get(url).headers["ETag"]},
        )
        assert sent_to(db, young_person, "appointment_reminder") == []  # the stale one is gone
        assert run_sweep(context, "appointment_reminders", later - timedelta(hours=23)) == 1


class TestCheckInPrompts:
    @pytest.fixture
    def daily(self, setting):
        _, mentor, person_id, _ = setting
        url = f"/api/v1/young-people/{person_id}/check-in-schedule"
        response = mentor.put(
            url,
            headers={"If-Match": "*"},
            json={
                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "local_time": "18:00",
                "grace_minutes": 60,
                "active": True,
            },
        )
        assert response.status_code == 200

    @pytest.mark.parametrize(
        "due",
        [
            "2027-03-27T18:00:00Z",
            "2027-03-28T17:00:00Z",
            "2027-10-30T17:00:00Z",
            "2027-10-31T18:00:00Z",
        ],
    )
    def test_at_six_in_london_across_the_clock_changes(self, setting, context, db, daily, due):
        *_, young_person = setting
        moment = at(due)
        assert run_sweep(context, "check_in_prompts", moment - timedelta(minutes=1)) == 0
        assert run_sweep(context, "check_in_prompts", moment) == 1
        assert run_sweep(context, "check_in_prompts", moment + timedelta(minutes=10)) == 0
        prompt = sent_to(db, young_person, "check_in_prompt")[0]
        assert prompt.data["due_at"] == moment.isoformat()

    def test_no_prompt_after_a_check_in_within_the_hour(self, setting, context, db, daily):
        _, _, person_id, _ = setting
        checked_in_at(db, person_id, at("2027-03-27T17:30:00Z"))
        assert run_sweep(context, "check_in_prompts", at("2027-03-27T18:05:00Z")) == 0
        # The next day's prompt is not suppressed by it.
        assert run_sweep(context, "check_in_prompts", at("2027-03-28T17:05:00Z")) == 1


class TestEscalation:
    def test_an_unacknowledged_urgent_alert_escalates_to_every_coordinator_once(
        self, setting, context, db, as_role
    ):
        coordinator, mentor, person_id, young_person = setting
        second_coordinator = as_role("coordinator")
        young_person.post(
            "/api/v1/me/check-ins",
            json={"client_ref": "help", "mood": 1, "feeling_safe": True, "needs_help": True},
        )
        raised = db.scalar(select(Alert.created_at).where(Alert.kind == "urgent_help"))
        assert run_sweep(context, "escalations", raised + timedelta(minutes=14)) == 0
        assert run_sweep(context, "escalations", raised + timedelta(minutes=15)) == 1
        assert run_sweep(context, "escalations", raised + timedelta(minutes=30)) == 0
        escalated = coordinator.get("/api/v1/alerts?kind=urgent_help_unacknowledged").get_json()
        assert len(escalated) == 1 and escalated[0]["urgent"] is True
        for staff in (coordinator, second_coordinator):
            kinds = [
                n["data"]["kind"]
                for n in staff.get("/api/v1/me/notifications").get_json()
                if n["kind"] == "alert"
            ]
            assert kinds.count("urgent_help_unacknowledged") == 1
        # The mentor was told of the alert itself, not of its escalation.
        mentor_kinds = [
            n["data"].get("kind") for n in mentor.get("/api/v1/me/notifications").get_json()
        ]
        assert mentor_kinds == ["urgent_help"]

    def test_an_acknowledged_alert_does_not_escalate(self, setting, context, db):
        coordinator, _, _, young_person = setting
        young_person.post(
            "/api/v1/me/check-ins",
            json={"client_ref": "unsafe", "mood": 2, "feeling_safe": False, "needs_help": False},
        )
        alert = coordinator.get("/api/v1/alerts").get_json()[0]
        coordinator.post(f"/api/v1/alerts/{alert['id']}/acknowledge")
        assert run_sweep(context, "escalations", datetime.now(UTC) + timedelta(hours=1)) == 0


class TestPlanReviews:
    def test_a_goal_past_its_target_date_and_a_stale_plan(self, setting, context, db):
        _, mentor, person_id, _ = setting
        goal = mentor.post(
            f"/api/v1/young-people/{person_id}/plan/goals",
            json={
                "domain": "housing",
                "title": "Housing form",
                "description": "",
                "target_date": (datetime.now(UTC).date() + timedelta(days=2)).isoformat(),
            },
        ).get_json()
        now = datetime.now(UTC)
        assert run_sweep(context, "plan_reviews", now) == 0
        assert run_sweep(context, "plan_reviews", now + timedelta(days=4)) == 1
        assert run_sweep(context, "plan_reviews", now + timedelta(days=5)) == 0
        assert run_sweep(context, "plan_reviews", now + timedelta(days=29)) == 1  # 28 days on
        kinds = {n.data.get("goal_id") for n in sent_to(db, mentor, "plan_review_due")}
        assert kinds == {goal["id"], None}
        db.get(Goal, uuid.UUID(goal["id"])).status = "achieved"
        db.get(SupportPlan, uuid.UUID(person_id)).reviewed_at = now + timedelta(days=29)
        db.commit()
        assert run_sweep(context, "plan_reviews", now + timedelta(days=30)) == 0


def test_a_scheduler_down_for_a_day_catches_up_exactly_once(setting, context, db):
    _, mentor, person_id, young_person = setting
    mentor.put(
        f"/api/v1/young-people/{person_id}/check-in-schedule",
        headers={"If-Match": "*"},
        json={
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "local_time": "18:00",
            "grace_minutes": 60,
            "active": True,
        },
    )
    starts = soon(2)
    book(mentor, person_id, starts)
    back = starts - timedelta(minutes=30)  # down since well before the 24-hour reminder
    first = run_all_once(context, back)
    assert first["appointment_reminders"] == 1
    assert first["missed_check_ins"] >= 1
    again = run_all_once(context, back + timedelta(seconds=30))
    assert again["appointment_reminders"] == again["missed_check_ins"] == 0
    missed = db.scalars(select(Alert).where(Alert.kind == "missed_check_in")).all()
    assert len({a.dedupe_key for a in missed}) == len(missed) == first["missed_check_ins"]


class TestSweepsWorkInBatches:
    """A programme of 100,000 young people must not be read into memory at once, nor sent
    to the database as one list of ids (PostgreSQL takes at most 65,535 parameters): the
    sweeps stream in batches. With batches of two, five young people take three."""

    @pytest.fixture
    def five(self, as_role, programme, monkeypatch):
        monkeypatch.setattr(reminders, "BATCH", 2)
        coordinator, mentor = as_role("coordinator"), as_role("mentor")
        people = []
        for _ in range(5):
            person_id, young_person = programme.young_person(coordinator)
            programme.assign(coordinator, person_id, mentor)
            schedule = mentor.put(
                f"/api/v1/young-people/{person_id}/check-in-schedule",
                headers={"If-Match": "*"},
                json={"days": ["sat"], "local_time": "18:00", "grace_minutes": 60, "active": True},
            )
            assert schedule.status_code == 200
            goal = mentor.post(
                f"/api/v1/young-people/{person_id}/plan/goals",
                json={
                    "domain": "housing",
                    "title": "Housing form",
                    "description": "",
                    "target_date": "2027-03-20",
                },
            )
            assert goal.status_code == 201
            people.append((person_id, young_person))
        return mentor, people

    def test_prompts_in_batches_still_skip_who_checked_in(self, context, db, five, count_queries):
        _, people = five
        checked_in_id, _ = people[3]  # in the second batch
        checked_in_at(db, checked_in_id, at("2027-03-27T17:30:00Z"))
        with count_queries() as counted:
            assert run_sweep(context, "check_in_prompts", at("2027-03-27T18:05:00Z")) == 4
        lookups = [q for q in counted.statements if "max(check_ins.created_at)" in q]
        assert len(lookups) == 3  # one look-up of recent check-ins per batch of two
        for person_id, young_person in people:
            expected = 0 if person_id == checked_in_id else 1
            assert len(sent_to(db, young_person, "check_in_prompt")) == expected

    def test_plan_reviews_in_batches_reach_every_mentor_once(
        self, context, db, five, count_queries
    ):
        mentor, people = five
        # Each goal is past its target date; each plan has waited 28 days for a review.
        moment = datetime.now(UTC) + timedelta(days=400)
        with count_queries() as counted:
            assert run_sweep(context, "plan_reviews", moment) == 10
        lookups = [q for q in counted.statements if "FROM assignments" in q]
        assert len(lookups) == 6  # mentors looked up per batch: 3 of goals, 3 of plans
        assert run_sweep(context, "plan_reviews", moment) == 0
        reviews = sent_to(db, mentor, "plan_review_due")
        about = sorted(n.data["young_person_id"] for n in reviews)
        assert about == sorted([person_id for person_id, _ in people] * 2)
