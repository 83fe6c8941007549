"""A young person's status, through HTTP: what pausing, leaving and coming back do to the
rest of the case (assignments, appointments, schedule, timer, sign-ins, alerts)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from scheduler.jobs import dispatch, run_all_once, run_sweep
from tests.conftest import PASSWORD, Caller
from tests.factories import book, kinds_sent_to
from youthapp.models import Notification, SafetyTimer, YoungPerson


@pytest.fixture
def case(as_role, programme):
    coordinator = as_role("coordinator")
    mentor = as_role("mentor", specialty="housing")
    person_id, young_person = programme.young_person(coordinator)
    assignment = programme.assign(coordinator, person_id, mentor)
    return coordinator, mentor, person_id, young_person, assignment


def set_status(coordinator: Caller, person_id: str, status: str, reason: str | None = None):
    body = {"status": status, **({"status_reason": reason} if reason else {})}
    response = coordinator.patch(f"/api/v1/young-people/{person_id}", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def set_schedule(mentor: Caller, person_id: str) -> None:
    path = f"/api/v1/young-people/{person_id}/check-in-schedule"
    etag = mentor.get(path).headers["ETag"]
    response = mentor.put(
        path,
        json={
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "local_time": "18:00",
            "grace_minutes": 60,
            "active": True,
        },
        headers={"If-Match": etag},
    )
    assert response.status_code == 200, response.get_json()


def sign_in_again(client, young_person: Caller) -> Caller:
    response = client.post(
        "/api/v1/auth/login", json={"email": young_person.user.email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.get_json()
    return Caller(client, young_person.user, response.get_json())


def soon(hours: int) -> datetime:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(second=0, microsecond=0)


class TestExit:
    def test_leaving_closes_the_case_at_once(self, case, client, db):
        coordinator, mentor, person_id, young_person, assignment = case
        appointment = book(mentor, person_id, soon(50))
        past = book(mentor, person_id, soon(-30))
        set_schedule(mentor, person_id)
        timer = young_person.post(
            "/api/v1/me/safety-timers", json={"expected_back_at": soon(3).isoformat()}
        ).get_json()
        feed_url = young_person.get("/api/v1/me/calendar-token").get_json()["url"]
        mentor.post(f"/api/v1/appointments/{past['id']}/attendance", json={"attended": False})
        record = set_status(coordinator, person_id, "exited", "Moved out of London")

        assert record["status"] == "exited" and record["mentors"] == []
        ended = coordinator.get(f"/api/v1/young-people/{person_id}/assignments").get_json()
        assert [(a["id"], a["ended_reason"], a["is_live"]) for a in ended] == [
            (assignment["id"], "exited", False)
        ]
        shown = coordinator.get(f"/api/v1/appointments/{appointment['id']}").get_json()
        assert shown["status"] == "cancelled"
        assert coordinator.get(f"/api/v1/appointments/{past['id']}").get_json()["status"] == (
            "missed"
        )
        schedule = coordinator.get(f"/api/v1/young-people/{person_id}/check-in-schedule")
        assert schedule.get_json()["active"] is False
        db.rollback()
        assert db.get(SafetyTimer, uuid.UUID(timer["id"])).status == "stopped"
        # Nothing about it reaches the young person, and nothing still waiting is pushed; the
        # mentor hears of the cancellation.
        db.rollback()
        to_them = db.scalars(
            select(Notification).where(Notification.user_id == young_person.user.id)
        ).all()
        assert "appointment_cancelled" not in [n.kind for n in to_them]
        assert {n.delivery_status for n in to_them} <= {"withdrawn", "sent"}
        assert "appointment_cancelled" in kinds_sent_to(db, mentor)
        # Every sign-in ended; the calendar feed is gone.
        assert young_person.get("/api/v1/me").status_code == 401
        assert client.get(feed_url.split("localhost", 1)[1]).status_code == 404
        # The missed appointment no longer needs acting on; the mentor no longer sees it.
        missed = coordinator.get("/api/v1/alerts?kind=missed_appointment").get_json()[0]
        assert (missed["status"], missed["resolution"], missed["resolved_by_id"]) == (
            "resolved",
            "young_person_exited",
            None,
        )
        assert mentor.get(f"/api/v1/young-people/{person_id}").status_code == 404
        history = coordinator.get(f"/api/v1/young-people/{person_id}/status-history")
        assert [(h["status"], h["reason"]) for h in history.get_json()] == [
            ("active", "enrolled"),
            ("exited", "Moved out of London"),
        ]
        assert history.get_json()[-1]["changed_by_id"] == str(coordinator.user.id)

    def test_an_urgent_alert_stays_open_when_they_leave(self, case):
        coordinator, _, person_id, young_person, _ = case
        young_person.post(
            "/api/v1/me/check-ins",
            json={"client_ref": "u", "mood": 1, "feeling_safe": False, "needs_help": True},
        )
        set_status(coordinator, person_id, "exited")
        urgent = coordinator.get("/api/v1/alerts?kind=urgent_help").get_json()
        assert [a["status"] for a in urgent] == ["open"]

    def test_the_account_signs_in_to_a_closed_app_but_help_still_gets_through(
        self, case, client, as_role
    ):
        coordinator, mentor, person_id, young_person, _ = case
        other_coordinator = as_role("coordinator")
        set_status(coordinator, person_id, "exited")
        again = sign_in_again(client, young_person)

        for path in ("/api/v1/me", "/api/v1/me/export", "/api/v1/me/access-log"):
            assert again.get(path).status_code == 200, path
        assert again.get("/api/v1/me/consents").status_code == 200
        assert again.put("/api/v1/me/consents", json={"reporting": False}).status_code == 200
        for path in (
            "/api/v1/me/plan",
            "/api/v1/me/appointments",
            "/api/v1/me/notifications",
            "/api/v1/me/check-ins",
            "/api/v1/me/check-in-schedule",
            "/api/v1/me/safety-plan",
            "/api/v1/me/help-requests",
        ):
            refused = again.get(path)
            assert refused.status_code == 403, path
            assert refused.get_json()["code"] == 403 and "help" in refused.get_json()["message"]
        assert (
            again.post(
                "/api/v1/me/safety-timers", json={"expected_back_at": soon(2).isoformat()}
            ).status_code
            == 403
        )
        ordinary = {"client_ref": "o", "mood": 3, "feeling_safe": True, "needs_help": False}
        assert again.post("/api/v1/me/check-ins", json=ordinary).status_code == 403

        urgent = again.post(
            "/api/v1/me/check-ins",
            json={"client_ref": "h", "mood": 1, "feeling_safe": False, "needs_help": True},
        )
        assert urgent.status_code == 201
        for staff in (coordinator, other_coordinator):
            alerts = staff.get("/api/v1/alerts?kind=urgent_help").get_json()
            assert [a["young_person_id"] for a in alerts] == [person_id]
        assert mentor.get("/api/v1/alerts").get_json() == []
        assert [
            n["kind"] for n in mentor.get("/api/v1/me/notifications").get_json()
        ] == []  # their assignment ended with the exit: they are told nothing

    def test_no_scheduled_run_prompts_reminds_or_counts_a_miss_after_exit(self, case, context, db):
        coordinator, mentor, person_id, young_person, _ = case
        set_schedule(mentor, person_id)
        book(mentor, person_id, soon(30))
        set_status(coordinator, person_id, "exited")
        start = datetime.now(UTC)
        for hours in range(0, 72, 3):
            run_all_once(context, start + timedelta(hours=hours))
        assert kinds_sent_to(db, young_person) == ["appointment_booked"]  # before the exit
        assert coordinator.get("/api/v1/alerts").get_json() == []


class TestPause:
    def test_paused_gets_no_scheduled_message_and_no_missed_check_in(self, case, context, db):
        coordinator, mentor, person_id, young_person, _ = case
        set_schedule(mentor, person_id)
        appointment = book(mentor, person_id, soon(30))
        set_status(coordinator, person_id, "paused", "In hospital")
        start = datetime.now(UTC)
        for hours in range(0, 60, 2):
            run_all_once(context, start + timedelta(hours=hours))
        assert kinds_sent_to(db, young_person) == ["appointment_booked"]  # before the pause
        assert coordinator.get("/api/v1/alerts").get_json() == []
        # The appointment stays as booked; the mentor still has the case.
        assert mentor.get(f"/api/v1/appointments/{appointment['id']}").get_json()["status"] == (
            "scheduled"
        )

    def test_pausing_takes_back_reminders_not_yet_pushed(self, case, context, db):
        coordinator, mentor, person_id, young_person, _ = case
        starts = soon(30)
        book(mentor, person_id, starts)
        # Due and made, but not pushed yet (the dispatcher had not come round).
        assert run_sweep(context, "appointment_reminders", starts - timedelta(hours=23)) == 1
        set_status(coordinator, person_id, "paused")
        assert "appointment_reminder" not in kinds_sent_to(db, young_person)

    def test_a_paused_young_person_signs_in_and_their_urgent_check_in_alerts(self, case, client):
        coordinator, mentor, person_id, young_person, _ = case
        set_status(coordinator, person_id, "paused", "In custody")
        assert young_person.get("/api/v1/me/plan").status_code == 200
        urgent = young_person.post(
            "/api/v1/me/check-ins",
            json={"client_ref": "p", "mood": 1, "feeling_safe": True, "needs_help": True},
        )
        assert urgent.status_code == 201
        for staff in (coordinator, mentor):
            assert [a["kind"] for a in staff.get("/api/v1/alerts").get_json()] == ["urgent_help"]

    def test_pausing_stops_a_running_timer_and_starting_one_is_refused(self, case, db, context):
        coordinator, _, person_id, young_person, _ = case
        back = soon(2)
        young_person.post("/api/v1/me/safety-timers", json={"expected_back_at": back.isoformat()})
        set_status(coordinator, person_id, "paused")
        listed = young_person.get("/api/v1/me/safety-timers").get_json()
        assert [t["status"] for t in listed] == ["stopped"]
        refused = young_person.post(
            "/api/v1/me/safety-timers", json={"expected_back_at": soon(3).isoformat()}
        )
        assert refused.status_code == 409
        assert "help" in refused.get_json()["message"]
        run_all_once(context, back + timedelta(minutes=30))
        assert coordinator.get("/api/v1/alerts").get_json() == []


class TestBackToActive:
    def test_sweeps_resume_from_that_moment_without_backfilling(self, case, context, db):
        coordinator, mentor, person_id, young_person, _ = case
        set_schedule(mentor, person_id)
        set_status(coordinator, person_id, "paused")
        start = datetime.now(UTC)
        run_all_once(context, start + timedelta(hours=30))
        set_status(coordinator, person_id, "active", "Home again")
        resumed = datetime.now(UTC)
        # A run after the return counts nothing from the pause...
        run_all_once(context, resumed + timedelta(minutes=1))
        assert coordinator.get("/api/v1/alerts?kind=missed_check_in").get_json() == []
        # ...and the next evening's check-in counts again.
        for hours in range(0, 50, 1):
            run_all_once(context, resumed + timedelta(hours=hours))
        assert "check_in_prompt" in kinds_sent_to(db, young_person)
        missed = coordinator.get("/api/v1/alerts?kind=missed_check_in").get_json()
        due = [datetime.fromisoformat(a["details"]["due_at"]) for a in missed]
        assert due and all(moment > resumed for moment in due)

    def test_a_returning_young_person_uses_the_whole_app_again(self, case, client):
        coordinator, _, person_id, young_person, _ = case
        set_status(coordinator, person_id, "exited")
        set_status(coordinator, person_id, "active")
        again = sign_in_again(client, young_person)
        assert again.get("/api/v1/me/plan").status_code == 200
        history = coordinator.get(f"/api/v1/young-people/{person_id}/status-history").get_json()
        assert [h["status"] for h in history] == ["active", "exited", "active"]


def test_setting_the_same_status_again_changes_nothing(case):
    coordinator, _, person_id, _, _ = case
    set_status(coordinator, person_id, "active")
    history = coordinator.get(f"/api/v1/young-people/{person_id}/status-history").get_json()
    assert len(history) == 1


def test_a_status_reason_has_a_limit_and_the_status_a_vocabulary(case):
    coordinator, _, person_id, _, _ = case
    long = coordinator.patch(
        f"/api/v1/young-people/{person_id}", json={"status": "paused", "status_reason": "x" * 501}
    )
    assert long.status_code == 422 and "status_reason" in long.get_json()["errors"]["json"]
    wrong = coordinator.patch(f"/api/v1/young-people/{person_id}", json={"status": "gone"})
    assert wrong.status_code == 422
    history = coordinator.get(f"/api/v1/young-people/{person_id}/status-history").get_json()
    assert [h["status"] for h in history] == ["active"]


def test_only_a_coordinator_changes_the_status(case):
    _, mentor, person_id, _, _ = case
    response = mentor.patch(f"/api/v1/young-people/{person_id}", json={"status": "exited"})
    assert response.status_code == 403


def test_the_app_learns_the_case_status_from_me_and_at_sign_in(case, client):
    coordinator, _, person_id, young_person, _ = case
    assert young_person.get("/api/v1/me").get_json()["case_status"] == "active"
    set_status(coordinator, person_id, "exited")
    again = sign_in_again(client, young_person)
    assert again.tokens["user"]["case_status"] == "exited"
    assert again.get("/api/v1/me").get_json()["case_status"] == "exited"
    assert coordinator.get("/api/v1/me").get_json()["case_status"] is None


def test_a_message_made_just_before_a_pause_is_held_at_the_dispatcher(case, context, db, sender):
    """A sweep that read the case as active a moment before it was paused still made a
    reminder: the dispatcher checks again and does not push it."""
    coordinator, mentor, person_id, young_person, _ = case
    young_person.post("/api/v1/me/devices", json={"platform": "android", "push_token": "yp-1"})
    starts = soon(30)
    book(mentor, person_id, starts)
    run_sweep(context, "appointment_reminders", starts - timedelta(hours=23))
    db.rollback()
    db.get(YoungPerson, uuid.UUID(person_id)).status = "paused"  # as if the race was lost
    db.commit()
    report = dispatch(context, starts - timedelta(hours=23))
    assert report.withdrawn == 1
    # What staff did (the booking) still reaches them; the scheduled reminder does not.
    assert [m.kind for token, m in sender.sent if token == "yp-1"] == ["appointment_booked"]
    db.rollback()
    reminder = db.scalar(select(Notification).where(Notification.kind == "appointment_reminder"))
    assert reminder.delivery_status == "withdrawn"
