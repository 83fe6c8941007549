"""The app PIN and the duress PIN, through HTTP: whoever holds the phone cannot tell them
apart (answer, headers, time), while the duress PIN silently calls the team, escalates like
a call for help, and leaves no trace in anything the young person can open."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from scheduler.jobs import run_sweep
from tests.conftest import PASSWORD
from youthapp.models import Alert

APP_PIN, DURESS_PIN, WRONG_PIN = "2468", "13579", "0000"
PINS = "/api/v1/me/pins"
PIN_CHECK = "/api/v1/me/pin-check"
MY_VIEWS = (
    "/api/v1/me/notifications",
    "/api/v1/me/help-requests",
    "/api/v1/me/check-ins",
    "/api/v1/me/export",
    "/api/v1/me/access-log",
)


@pytest.fixture
def team(as_role, programme):
    """A young person with a coordinator, an assigned mentor, and a mentor of someone else."""
    coordinator = as_role("coordinator")
    mentor = as_role("mentor")
    other_mentor = as_role("mentor")
    person_id, young_person = programme.young_person(coordinator)
    programme.assign(coordinator, person_id, mentor)
    return coordinator, mentor, other_mentor, person_id, young_person


def set_pins(young_person, app_pin: str = APP_PIN, duress_pin: str = DURESS_PIN):
    response = young_person.put(
        PINS,
        json={"current_password": PASSWORD, "app_pin": app_pin, "duress_pin": duress_pin},
    )
    assert response.status_code == 204, response.get_json()


def check(young_person, pin: str, **extra):
    return young_person.post(PIN_CHECK, json={"pin": pin, **extra})


def duress_alerts(staff) -> list[dict]:
    response = staff.get("/api/v1/alerts?kind=duress")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def soon(minutes: int) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=minutes)


class TestSettingPins:
    def test_the_right_password_four_to_eight_digits_and_two_different_pins(self, team):
        *_, young_person = team

        def put(**changes):
            body = {
                "current_password": PASSWORD,
                "app_pin": APP_PIN,
                "duress_pin": DURESS_PIN,
                **changes,
            }
            return young_person.put(PINS, json=body)

        assert put(current_password="not my password").status_code == 403
        for bad in ("123", "123456789", "12a4", "", " 1234"):
            assert put(app_pin=bad).status_code == 422, bad
            assert put(duress_pin=bad).status_code == 422, bad
        assert put(duress_pin=APP_PIN).status_code == 422
        # None of those set anything: there are no PINs to check yet.
        assert check(young_person, APP_PIN).status_code == 409
        assert put(app_pin="1234", duress_pin="12345678").status_code == 204
        assert check(young_person, "1234").status_code == 200
        assert check(young_person, "12345678").status_code == 200

    def test_only_a_young_person_has_pins(self, team):
        _, mentor, *_ = team
        response = mentor.put(
            PINS,
            json={"current_password": PASSWORD, "app_pin": APP_PIN, "duress_pin": DURESS_PIN},
        )
        assert response.status_code == 403
        assert mentor.post(PIN_CHECK, json={"pin": APP_PIN}).status_code == 403


class TestTheSameAnswer:
    def test_app_and_duress_pin_answer_byte_for_byte_alike(self, team):
        *_, young_person = team
        set_pins(young_person)
        same_request = {"X-Request-ID": "pin-check-0001"}
        duress = young_person.post(
            PIN_CHECK,
            json={"pin": DURESS_PIN, "location": {"lat": 51.5, "lon": -0.1}},
            headers=same_request,
        )
        app = young_person.post(
            PIN_CHECK,
            json={"pin": APP_PIN, "location": {"lat": 51.5, "lon": -0.1}},
            headers=same_request,
        )
        assert app.status_code == duress.status_code == 200
        assert app.get_json() == {"ok": True}
        assert app.data == duress.data

        def headers(response):
            return sorted((k, v) for k, v in response.headers.items() if k.lower() != "date")

        assert headers(app) == headers(duress)
        assert b"duress" not in duress.data.lower()
        assert "duress" not in str(duress.headers).lower()

    def test_a_wrong_pin_is_401_and_five_in_a_row_end_the_sign_in(self, team, make):
        *_, young_person = team
        set_pins(young_person)
        for _ in range(4):
            wrong = check(young_person, WRONG_PIN)
            assert wrong.status_code == 401
            assert young_person.get("/api/v1/me").status_code == 200
        assert check(young_person, WRONG_PIN).status_code == 401
        assert young_person.get("/api/v1/me").status_code == 401
        assert check(young_person, APP_PIN).status_code == 401  # this sign-in has ended
        # Signing in again works: only that sign-in ended.
        again = make.login(young_person.user.email)
        young_person.tokens = again
        assert young_person.get("/api/v1/me").status_code == 200
        assert check(young_person, APP_PIN).status_code == 200

    @pytest.mark.parametrize("right_pin", [APP_PIN, DURESS_PIN])
    def test_a_right_pin_starts_the_count_again(self, team, right_pin):
        *_, young_person = team
        set_pins(young_person)
        for _ in range(4):
            assert check(young_person, WRONG_PIN).status_code == 401
        assert check(young_person, right_pin).status_code == 200
        for _ in range(4):
            assert check(young_person, WRONG_PIN).status_code == 401
        assert young_person.get("/api/v1/me").status_code == 200
        assert check(young_person, WRONG_PIN).status_code == 401
        assert young_person.get("/api/v1/me").status_code == 401

    def test_the_two_pins_take_about_as_long(self, team):
        *_, young_person = team
        set_pins(young_person)
        check(young_person, APP_PIN)  # warm up: first requests pay for imports and caches
        check(young_person, DURESS_PIN)
        took: dict[str, list[float]] = {APP_PIN: [], DURESS_PIN: []}
        for _ in range(15):
            for pin in (APP_PIN, DURESS_PIN):
                started = time.perf_counter()
                assert check(young_person, pin).status_code == 200
                took[pin].append(time.perf_counter() - started)
        app, duress = statistics.median(took[APP_PIN]), statistics.median(took[DURESS_PIN])
        bound = max(0.5 * max(app, duress), 0.030)
        assert abs(app - duress) < bound, (app, duress)


class TestTheDuressAlert:
    def test_only_the_duress_pin_calls_the_staff_in_scope_urgently(self, team):
        coordinator, mentor, other_mentor, person_id, young_person = team
        set_pins(young_person)
        assert check(young_person, APP_PIN).status_code == 200
        assert duress_alerts(coordinator) == []
        assert coordinator.get("/api/v1/alerts").get_json() == []

        assert check(young_person, DURESS_PIN).status_code == 200
        for staff in (coordinator, mentor):
            [alert] = duress_alerts(staff)
            assert alert["urgent"] is True and alert["status"] == "open"
            assert alert["young_person_id"] == person_id
            assert "location" not in alert["details"]  # location sharing is off
            told = [
                n["data"]
                for n in staff.get("/api/v1/me/notifications").get_json()
                if n["kind"] == "alert"
            ]
            assert told == [{"alert_id": alert["id"], "kind": "duress"}]
        assert duress_alerts(other_mentor) == []
        # The app PIN afterwards changes nothing about it.
        assert check(young_person, APP_PIN).status_code == 200
        assert [a["occurrences"] for a in duress_alerts(coordinator)] == [1]

    def test_a_given_location_is_kept_only_when_shared_and_only_coarsely(self, team):
        coordinator, *_, young_person = team
        set_pins(young_person)
        here = {"lat": 51.546_789, "lon": -0.055_512}
        assert check(young_person, DURESS_PIN, location=here).status_code == 200
        [unshared] = duress_alerts(coordinator)
        assert "location" not in unshared["details"]
        coordinator.post(f"/api/v1/alerts/{unshared['id']}/resolve", json={"note": "Safe."})

        shared = young_person.put("/api/v1/me/preferences", json={"location_sharing": True})
        assert shared.status_code == 200 and shared.get_json()["location_sharing"] is True
        assert check(young_person, DURESS_PIN, location=here).status_code == 200
        [alert] = [a for a in duress_alerts(coordinator) if a["status"] == "open"]
        seen = coordinator.get(f"/api/v1/alerts/{alert['id']}")
        assert seen.status_code == 200
        assert seen.get_json()["details"]["location"] == {"lat": 51.547, "lon": -0.056}

    def test_without_a_location_the_last_check_in_s_is_used(self, team):
        coordinator, *_, young_person = team
        set_pins(young_person)
        young_person.put("/api/v1/me/preferences", json={"location_sharing": True})
        checked_in = young_person.post(
            "/api/v1/me/check-ins",
            json={
                "client_ref": "fine",
                "mood": 4,
                "feeling_safe": True,
                "needs_help": False,
                "location": {"lat": 51.512_345, "lon": -0.123_456},
            },
        )
        assert checked_in.status_code == 201, checked_in.get_json()
        assert check(young_person, DURESS_PIN).status_code == 200
        [alert] = duress_alerts(coordinator)
        assert alert["details"]["location"] == {"lat": 51.512, "lon": -0.123}

    def test_it_escalates_like_a_call_for_help(self, team, context, db):
        coordinator, *_, young_person = team
        set_pins(young_person)
        check(young_person, DURESS_PIN)
        raised = db.scalar(select(Alert.created_at).where(Alert.kind == "duress"))
        assert run_sweep(context, "escalations", raised + timedelta(minutes=14)) == 0
        assert run_sweep(context, "escalations", raised + timedelta(minutes=15)) == 1
        assert run_sweep(context, "escalations", raised + timedelta(minutes=30)) == 0
        [escalated] = coordinator.get("/api/v1/alerts?kind=urgent_help_unacknowledged").get_json()
        assert escalated["urgent"] is True
        assert escalated["details"]["kind"] == "duress"
        assert escalated["subject_id"] == duress_alerts(coordinator)[0]["id"]


class TestNoTraceForTheYoungPerson:
    def views(self, young_person) -> dict[str, str]:
        seen = {}
        for path in MY_VIEWS:
            response = young_person.get(path)
            assert response.status_code == 200, (path, response.get_json())
            seen[path] = response.get_data(as_text=True)
        return seen

    def test_nothing_in_their_own_views_even_after_staff_worked_on_it(self, team, context, db):
        coordinator, mentor, _, _, young_person = team
        set_pins(young_person)
        before = young_person.get("/api/v1/me/export").get_json()
        assert check(young_person, DURESS_PIN).status_code == 200
        [alert] = duress_alerts(coordinator)
        assert coordinator.get(f"/api/v1/alerts/{alert['id']}").status_code == 200
        assert mentor.get(f"/api/v1/alerts/{alert['id']}").status_code == 200
        assert coordinator.post(f"/api/v1/alerts/{alert['id']}/acknowledge").status_code == 200

        for path, text in self.views(young_person).items():
            assert "duress" not in text.lower(), path
            assert alert["id"] not in text, path
        after = young_person.get("/api/v1/me/export").get_json()
        assert after["help_requests"] == [] and after["notifications"] == []
        assert after["held_back"] == before["held_back"]
        assert "data protection officer" in after["held_back"]

    def test_nor_after_it_escalated_and_the_escalation_was_handled(self, team, context, db):
        coordinator, _, _, _, young_person = team
        set_pins(young_person)
        check(young_person, DURESS_PIN)
        raised = db.scalar(select(Alert.created_at).where(Alert.kind == "duress"))
        run_sweep(context, "escalations", raised + timedelta(minutes=15))
        [escalated] = coordinator.get("/api/v1/alerts?kind=urgent_help_unacknowledged").get_json()
        assert coordinator.get(f"/api/v1/alerts/{escalated['id']}").status_code == 200
        assert coordinator.post(f"/api/v1/alerts/{escalated['id']}/acknowledge").status_code == 200
        resolved = coordinator.post(
            f"/api/v1/alerts/{escalated['id']}/resolve", json={"note": "Called, safe."}
        )
        assert resolved.status_code == 200
        hidden = {str(a.id) for a in db.scalars(select(Alert))}
        for path, text in self.views(young_person).items():
            assert "duress" not in text.lower(), path
            for alert_id in hidden:
                assert alert_id not in text, path
        # Not even an anonymous line about staff handling an alert.
        log = young_person.get("/api/v1/me/access-log").get_json()
        assert [e for e in log if e["action"].startswith("alert.")] == []

    def test_the_export_says_the_same_held_back_text_either_way(self, as_role, programme):
        coordinator = as_role("coordinator")
        _, quiet = programme.young_person(coordinator)
        _, pressed = programme.young_person(coordinator)
        set_pins(pressed)
        check(pressed, DURESS_PIN)
        assert duress_alerts(coordinator) != []
        untouched = quiet.get("/api/v1/me/export").get_json()["held_back"]
        with_alert = pressed.get("/api/v1/me/export").get_json()["held_back"]
        assert untouched and untouched == with_alert


class TestSafetyTimerStop:
    def start_timer(self, young_person, minutes: int = 60) -> dict:
        response = young_person.post(
            "/api/v1/me/safety-timers", json={"expected_back_at": soon(minutes).isoformat()}
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def safe(self, young_person, timer: dict, pin: str | None = None):
        body = {} if pin is None else {"pin": pin}
        return young_person.post(f"/api/v1/me/safety-timers/{timer['id']}/safe", json=body)

    def test_once_pins_are_set_stopping_takes_one(self, team):
        coordinator, *_, young_person = team
        set_pins(young_person)
        timer = self.start_timer(young_person)
        assert self.safe(young_person, timer).status_code == 422
        assert self.safe(young_person, timer, WRONG_PIN).status_code == 401
        stopped = self.safe(young_person, timer, APP_PIN)
        assert stopped.status_code == 200 and stopped.get_json()["status"] == "safe"
        assert coordinator.get("/api/v1/alerts").get_json() == []

    def test_the_duress_pin_looks_like_a_real_stop_but_calls_the_team(self, team):
        coordinator, *_, young_person = team
        set_pins(young_person)
        first = self.start_timer(young_person)
        real = self.safe(young_person, first, APP_PIN)
        second = self.start_timer(young_person)
        forced = self.safe(young_person, second, DURESS_PIN)
        assert forced.status_code == real.status_code == 200
        real_body, forced_body = real.get_json(), forced.get_json()
        assert forced_body["status"] == real_body["status"] == "safe"
        assert forced_body.keys() == real_body.keys()
        assert [e["event"] for e in forced_body["history"]] == ["started", "safe"]
        assert b"duress" not in forced.data.lower()
        [alert] = duress_alerts(coordinator)
        assert alert["urgent"] is True
        assert alert["details"]["about"] == "safety_timer"
        assert (alert["subject_type"], alert["subject_id"]) == ("safety_timer", second["id"])
        listed = young_person.get(f"/api/v1/me/safety-timers/{second['id']}").get_json()
        assert listed["status"] == "safe"

    @pytest.mark.parametrize(
        ("pin", "all_clear"), [(APP_PIN, True), (DURESS_PIN, False)], ids=["app", "duress"]
    )
    def test_after_expiry_only_the_app_pin_gives_the_all_clear(
        self, team, context, db, pin, all_clear
    ):
        coordinator, mentor, *_, young_person = team
        set_pins(young_person)
        timer = self.start_timer(young_person, minutes=30)
        back_at = datetime.fromisoformat(timer["expected_back_at"])
        assert run_sweep(context, "expired_safety_timers", back_at + timedelta(minutes=1)) == 1
        [expired] = coordinator.get("/api/v1/alerts?kind=safety_timer_expired").get_json()
        assert expired["status"] == "open"

        stopped = self.safe(young_person, timer, pin)
        assert stopped.status_code == 200 and stopped.get_json()["status"] == "safe"
        # Whoever holds the phone sees the same either way: the call for help resolved.
        [shown] = young_person.get("/api/v1/me/help-requests").get_json()
        assert shown["status"] == "resolved" and shown["resolved_at"] is not None
        now = coordinator.get(f"/api/v1/alerts/{expired['id']}").get_json()
        told_all_clear = [
            n
            for n in mentor.get("/api/v1/me/notifications").get_json()
            if n["kind"] == "alert" and n["data"].get("all_clear")
        ]
        if all_clear:
            assert now["status"] == "resolved" and now["resolution"] == "all_clear"
            assert len(told_all_clear) == 1
            assert duress_alerts(coordinator) == []
        else:
            assert now["status"] == "open" and now["resolution"] is None
            assert told_all_clear == []
            [duress] = duress_alerts(coordinator)
            assert duress["subject_id"] == timer["id"]


def test_a_different_young_person_s_pins_are_their_own(team, programme):
    coordinator, *_, young_person = team
    _, other = programme.young_person(coordinator)
    set_pins(young_person)
    set_pins(other, app_pin="1111", duress_pin="2222")
    assert check(other, APP_PIN).status_code == 401
    assert check(young_person, "2222").status_code == 401
    assert duress_alerts(coordinator) == []
