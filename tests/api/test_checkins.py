"""Safe check-ins, "I need help now", alerts, schedules and safety timers, through HTTP."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import Caller
from youthapp.models import CheckIn
from youthapp.services import timers

CHECK_INS = "/api/v1/me/check-ins"


@pytest.fixture
def setting(as_role, programme):
    coordinator = as_role("coordinator")
    mentor = as_role("mentor", specialty="mental_health")
    person_id, young_person = programme.young_person(coordinator)
    programme.assign(coordinator, person_id, mentor)
    return coordinator, mentor, person_id, young_person


def check_in(young_person: Caller, ref: str = "phone-1", **overrides):
    body = {"client_ref": ref, "mood": 3, "feeling_safe": True, "needs_help": False, **overrides}
    return young_person.post(CHECK_INS, json=body)


def alert_notices(caller: Caller) -> list[dict]:
    return [n for n in caller.get("/api/v1/me/notifications").get_json() if n["kind"] == "alert"]


def test_an_urgent_check_in_reaches_mentors_and_coordinators_and_no_one_else(
    setting, as_role, programme
):
    coordinator, mentor, person_id, young_person = setting
    second_coordinator = as_role("coordinator")
    other_mentor = as_role("mentor")
    other_person, _ = programme.young_person(coordinator)
    programme.assign(coordinator, other_person, other_mentor)
    bystanders = [other_mentor, as_role("referrer"), as_role("admin")]

    response = check_in(young_person, mood=1, needs_help=True, note="They're outside the flat")
    assert response.status_code == 201
    body = response.get_json()
    assert "alert_ids" not in body and "alerts" not in body

    for staff in (coordinator, second_coordinator, mentor):
        notices = alert_notices(staff)
        assert len(notices) == 1, staff.user.role
        assert notices[0]["data"]["kind"] == "urgent_help"
        assert "outside the flat" not in notices[0]["body"]
        listed = staff.get("/api/v1/alerts?kind=urgent_help").get_json()
        assert [a["young_person_id"] for a in listed] == [person_id]
        assert listed[0]["details"]["needs_help"] is True
    for bystander in bystanders:
        assert alert_notices(bystander) == []
    assert other_mentor.get("/api/v1/alerts").get_json() == []
    assert alert_notices(young_person) == []


def test_feeling_unsafe_raises_its_own_alert(setting):
    coordinator, _, _, young_person = setting
    check_in(young_person, feeling_safe=False)
    assert [a["kind"] for a in coordinator.get("/api/v1/alerts").get_json()] == ["feeling_unsafe"]
    check_in(young_person, "phone-2")  # an ordinary check-in raises nothing
    assert len(coordinator.get("/api/v1/alerts").get_json()) == 1


def test_a_retry_is_the_first_check_in(setting, db):
    _, mentor, person_id, young_person = setting
    first = check_in(young_person, mood=2, needs_help=True)
    again = check_in(young_person, mood=5, needs_help=False)  # same client_ref
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json() == first.get_json()
    assert len(young_person.get(CHECK_INS).get_json()) == 1
    assert len(mentor.get("/api/v1/alerts").get_json()) == 1


def test_fifty_concurrent_retries_make_one_check_in(setting, app, db):
    coordinator, _, person_id, young_person = setting
    statuses, barrier = [], threading.Barrier(50)

    def send():
        client = app.test_client()
        barrier.wait()
        response = client.post(
            CHECK_INS,
            headers=young_person.headers,
            json={
                "client_ref": "flaky-signal",
                "mood": 1,
                "feeling_safe": False,
                "needs_help": True,
            },
        )
        statuses.append((response.status_code, response.get_json()["id"]))

    threads = [threading.Thread(target=send) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(code for code, _ in statuses) == [200] * 49 + [201]
    assert len({check_in_id for _, check_in_id in statuses}) == 1
    assert db.query(CheckIn).count() == 1
    kinds = sorted(a["kind"] for a in coordinator.get("/api/v1/alerts").get_json())
    assert kinds == ["urgent_help"]  # one alert per check-in
    assert all(a["occurrences"] == 1 for a in coordinator.get("/api/v1/alerts").get_json())


def test_repeated_urgent_check_ins_fold_into_the_open_alert(setting):
    coordinator, mentor, _, young_person = setting
    for n in range(4):
        assert check_in(young_person, f"press-{n}", needs_help=True).status_code == 201
    listed = coordinator.get("/api/v1/alerts").get_json()
    assert len(listed) == 1 and listed[0]["occurrences"] == 4
    assert len(alert_notices(mentor)) == 1  # told once, not four times
    coordinator.post(f"/api/v1/alerts/{listed[0]['id']}/resolve", json={"note": "Called her"})
    check_in(young_person, "press-after", needs_help=True)
    assert len(coordinator.get("/api/v1/alerts?status=open").get_json()) == 1
    assert len(alert_notices(mentor)) == 2


def test_location_is_kept_only_with_sharing_on_and_coarsened(setting):
    _, mentor, person_id, young_person = setting
    spot = {"lat": 51.5456789, "lon": -0.0553219}
    check_in(young_person, "no-sharing", location=spot)
    young_person.put("/api/v1/me/preferences", json={"location_sharing": True})
    check_in(young_person, "sharing", location=spot)
    history = {
        c["client_ref"]: c
        for c in mentor.get(f"/api/v1/young-people/{person_id}/check-ins").get_json()
    }
    assert history["no-sharing"]["location"] is None
    assert history["sharing"]["location"] == {"lat": 51.546, "lon": -0.055}


def test_check_in_validation(setting):
    *_, young_person = setting
    for body in (
        {"mood": 0},
        {"mood": 6},
        {"mood": "3"},
        {"feeling_safe": None},
        {"location": {"lat": 91, "lon": 0}},
        {"client_ref": ""},
        {"note": "x" * 1001},
        {"client_ref": "a b"},
    ):
        assert check_in(young_person, **body).status_code == 422, body
    assert young_person.post(CHECK_INS, json={"client_ref": "x", "mood": 3}).status_code == 422


def test_alert_lifecycle(setting, as_role):
    coordinator, mentor, _, young_person = setting
    check_in(young_person, needs_help=True)
    alert = mentor.get("/api/v1/alerts").get_json()[0]
    url = f"/api/v1/alerts/{alert['id']}"
    assert as_role("mentor").post(f"{url}/acknowledge").status_code == 404
    assert young_person.post(f"{url}/acknowledge").status_code == 404
    acknowledged = mentor.post(f"{url}/acknowledge")
    assert acknowledged.status_code == 200
    assert acknowledged.get_json()["status"] == "acknowledged"
    assert acknowledged.get_json()["acknowledged_by_id"] == str(mentor.user.id)
    assert coordinator.post(f"{url}/resolve", json={}).status_code == 422
    resolved = coordinator.post(f"{url}/resolve", json={"note": "Spoke on the phone; safe now"})
    assert resolved.get_json()["status"] == "resolved"
    assert resolved.get_json()["resolved_by_id"] == str(coordinator.user.id)
    assert coordinator.post(f"{url}/resolve", json={"note": "again"}).status_code == 409
    assert coordinator.post(f"{url}/acknowledge").status_code == 409
    assert [a["status"] for a in coordinator.get("/api/v1/alerts?status=resolved").get_json()] == [
        "resolved"
    ]


def test_staff_history_is_newest_first_with_updated_since(setting):
    _, mentor, person_id, young_person = setting
    for n in range(3):
        check_in(young_person, f"ref-{n}", mood=n + 1)
    url = f"/api/v1/young-people/{person_id}/check-ins"
    history = mentor.get(f"{url}?page_size=2")
    assert [c["client_ref"] for c in history.get_json()] == ["ref-2", "ref-1"]
    assert '"total": 3' in history.headers["X-Pagination"]
    future = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert mentor.get(url, query_string={"updated_since": future}).get_json() == []


class TestSchedules:
    def test_default_set_and_read(self, setting):
        _, mentor, person_id, young_person = setting
        url = f"/api/v1/young-people/{person_id}/check-in-schedule"
        default = mentor.get(url)
        assert default.status_code == 200 and default.headers["ETag"]
        assert default.get_json()["active"] is False
        body = {
            "days": ["mon", "wed", "fri"],
            "local_time": "18:00",
            "grace_minutes": 60,
            "active": True,
        }
        assert mentor.put(url, json=body).status_code == 428
        saved = mentor.put(url, json=body, headers={"If-Match": default.headers["ETag"]})
        assert saved.status_code == 200
        assert saved.get_json()["timezone"] == "Europe/London"
        stale = mentor.put(url, json=body, headers={"If-Match": default.headers["ETag"]})
        assert stale.status_code == 412
        mine = young_person.get("/api/v1/me/check-in-schedule").get_json()
        assert (mine["days"], mine["local_time"], mine["active"]) == (
            ["mon", "wed", "fri"],
            "18:00",
            True,
        )

    @pytest.mark.parametrize(
        "change",
        [
            {"local_time": "25:99"},
            {"local_time": "6pm"},
            {"days": ["someday"]},
            {"grace_minutes": -1},
            {"days": []},
            {"timezone": "Mars/Olympus"},
        ],
    )
    def test_invalid_schedules_are_422(self, setting, change):
        _, mentor, person_id, _ = setting
        url = f"/api/v1/young-people/{person_id}/check-in-schedule"
        body = {
            "days": ["mon"],
            "local_time": "18:00",
            "grace_minutes": 30,
            "active": True,
            **change,
        }
        assert mentor.put(url, json=body, headers={"If-Match": "*"}).status_code == 422


class TestSafetyTimers:
    def test_one_at_a_time_and_stopped_with_im_safe(self, setting):
        *_, young_person = setting
        back = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
        started = young_person.post(
            "/api/v1/me/safety-timers",
            json={"expected_back_at": back, "note": "Party on Mare Street"},
        )
        assert started.status_code == 201
        assert (
            young_person.post(
                "/api/v1/me/safety-timers", json={"expected_back_at": back}
            ).status_code
            == 409
        )
        safe = young_person.post(f"/api/v1/me/safety-timers/{started.get_json()['id']}/safe")
        assert safe.status_code == 200 and safe.get_json()["status"] == "safe"
        assert (
            young_person.post(
                "/api/v1/me/safety-timers", json={"expected_back_at": back}
            ).status_code
            == 201
        )

    def test_times_must_be_in_the_next_day(self, setting):
        *_, young_person = setting
        for moment in (
            datetime.now(UTC) - timedelta(minutes=1),
            datetime.now(UTC) + timedelta(hours=25),
        ):
            response = young_person.post(
                "/api/v1/me/safety-timers", json={"expected_back_at": moment.isoformat()}
            )
            assert response.status_code == 422

    def test_an_expired_timer_alerts_staff_and_a_late_safe_sends_all_clear(self, setting, app):
        coordinator, mentor, person_id, young_person = setting
        back = datetime.now(UTC) + timedelta(minutes=30)
        timer = young_person.post(
            "/api/v1/me/safety-timers", json={"expected_back_at": back.isoformat()}
        ).get_json()
        session_factory = app.extensions["youthapp"].session_factory
        with session_factory.begin() as session:
            assert timers.raise_expired(session, now=back - timedelta(seconds=1)) == 0
        for _ in range(2):  # a second sweep, or a second scheduler, changes nothing
            with session_factory.begin() as session:
                timers.raise_expired(session, now=back + timedelta(minutes=1))
        alerts = mentor.get("/api/v1/alerts").get_json()
        assert [(a["kind"], a["urgent"]) for a in alerts] == [("safety_timer_expired", True)]
        assert len(alert_notices(coordinator)) == 1
        young_person.post(f"/api/v1/me/safety-timers/{timer['id']}/safe")
        notices = alert_notices(mentor)
        assert len(notices) == 2
        all_clear = [n for n in notices if n["data"].get("all_clear")]
        assert len(all_clear) == 1
        assert all_clear[0]["data"]["alert_id"] == alerts[0]["id"]
        assert all_clear[0]["title"] == "All clear"
        young_person.post(f"/api/v1/me/safety-timers/{timer['id']}/safe")  # pressed twice
        assert len(alert_notices(mentor)) == 2


def test_urgent_check_ins_are_never_rate_limited(setting, build_app, database_url):
    *_, young_person = setting
    limited = build_app(database_url=database_url, rate_limit_default="2/minute").test_client()
    for n in range(6):
        response = limited.post(
            CHECK_INS,
            headers=young_person.headers,
            json={
                "client_ref": f"urgent-{n}",
                "mood": 1,
                "feeling_safe": False,
                "needs_help": True,
            },
        )
        assert response.status_code == 201, n
    throttled = [
        limited.get("/api/v1/me/check-ins", headers=young_person.headers).status_code
        for _ in range(4)
    ]
    assert throttled == [200] * 4  # GET shares the view, and the view is exempt


@pytest.mark.parametrize("offered", ['W/"{v}"', "*", '"x", "{v}"'])
def test_if_none_match_on_a_schedule_reads_as_on_every_resource(setting, offered):
    _, mentor, person_id, _ = setting
    url = f"/api/v1/young-people/{person_id}/check-in-schedule"
    tag = mentor.get(url).headers["ETag"].strip('"')
    assert mentor.get(url, headers={"If-None-Match": offered.format(v=tag)}).status_code == 304
    assert mentor.get(url, headers={"If-None-Match": '"41"'}).status_code == 200


@pytest.mark.parametrize("offered", ['W/"{v}"', "*", '"x", "{v}"'])
def test_if_none_match_on_crisis_contacts_reads_the_same(client, offered):
    tag = client.get("/api/v1/content/crisis").headers["ETag"].strip('"')
    again = client.get("/api/v1/content/crisis", headers={"If-None-Match": offered.format(v=tag)})
    assert again.status_code == 304
