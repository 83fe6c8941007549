"""Sign-ins a user can see and end, and lockdown when a young person's phone is in the wrong
hands: from any phone with their password, or by staff in scope. After it nothing the old
phone held works, and only a new activation code lets the young person back in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import PASSWORD, Caller
from tests.factories import book

LOST_PHONE = "/api/v1/auth/lost-phone"
NEW_PASSWORD = "another long passphrase"
FCM_TOKEN = "dQw4w9WgXcQ:APA91bH-example-registration-token-" + "y" * 100


def sign_in(client, user, *, agent: str | None = None, password: str = PASSWORD) -> Caller:
    """Another sign-in of `user`, from a user agent of our choosing."""
    response = client.post(
        "/api/v1/auth/login",
        json={"email": user.email, "password": password},
        headers={"User-Agent": agent} if agent else {},
    )
    assert response.status_code == 200, response.get_json()
    return Caller(client, user, response.get_json())


def refresh(client, tokens: dict):
    return client.post(
        "/api/v1/auth/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}
    )


def signed_in(caller: Caller) -> bool:
    status = caller.get("/api/v1/me").status_code
    assert status in (200, 401)
    return status == 200


@pytest.fixture
def case(as_role, programme):
    coordinator = as_role("coordinator")
    mentor = as_role("mentor")
    person_id, young_person = programme.young_person(coordinator)
    programme.assign(coordinator, person_id, mentor)
    return coordinator, mentor, person_id, young_person


class TestSignIns:
    def test_the_list_marks_this_sign_in(self, case, client):
        *_, young_person = case
        phone = sign_in(client, young_person.user, agent="okhttp/4.12 (Android 14)")
        listed = phone.get("/api/v1/me/sessions")
        assert listed.status_code == 200
        sessions = listed.get_json()
        assert len(sessions) == 2
        assert [s["current"] for s in sessions].count(True) == 1
        mine = next(s for s in sessions if s["current"])
        assert mine["platform"] == "android"
        assert mine["created_at"] and mine["last_used_at"]
        assert set(mine) == {"id", "created_at", "last_used_at", "platform", "current"}
        # Seen from the other sign-in, the other one is current.
        other_view = young_person.get("/api/v1/me/sessions").get_json()
        assert {s["id"] for s in other_view} == {s["id"] for s in sessions}
        assert next(s for s in other_view if s["current"])["id"] != mine["id"]

    def test_ending_one_other_sign_in(self, case, client):
        *_, young_person = case
        lost = sign_in(client, young_person.user)
        lost_id = next(s["id"] for s in lost.get("/api/v1/me/sessions").get_json() if s["current"])
        assert young_person.delete(f"/api/v1/me/sessions/{lost_id}").status_code == 204
        assert not signed_in(lost)
        assert refresh(client, lost.tokens).status_code == 401
        assert signed_in(young_person)
        assert [s["current"] for s in young_person.get("/api/v1/me/sessions").get_json()] == [True]
        # Ended already: nothing to end.
        assert young_person.delete(f"/api/v1/me/sessions/{lost_id}").status_code == 404

    def test_ending_every_other_sign_in(self, case, client):
        *_, young_person = case
        others = [sign_in(client, young_person.user) for _ in range(2)]
        ended = young_person.post("/api/v1/me/sessions/end-others")
        assert ended.status_code == 200 and ended.get_json() == {"ended": 2}
        assert signed_in(young_person)
        assert not any(signed_in(other) for other in others)
        assert len(young_person.get("/api/v1/me/sessions").get_json()) == 1
        assert young_person.post("/api/v1/me/sessions/end-others").get_json() == {"ended": 0}

    def test_nobody_ends_another_user_s_sign_in(self, case):
        coordinator, mentor, _, young_person = case
        theirs = mentor.get("/api/v1/me/sessions").get_json()[0]["id"]
        assert young_person.delete(f"/api/v1/me/sessions/{theirs}").status_code == 404
        assert coordinator.delete(f"/api/v1/me/sessions/{theirs}").status_code == 404
        assert signed_in(mentor)

    def test_staff_see_how_many_sign_ins_and_when_one_was_last_used(self, case, client):
        coordinator, mentor, person_id, young_person = case
        sign_in(client, young_person.user)
        for staff in (coordinator, mentor):
            record = staff.get(f"/api/v1/young-people/{person_id}").get_json()
            assert record["sign_ins"]["count"] == 2
            assert record["sign_ins"]["last_used_at"] is not None
        young_person.post("/api/v1/me/sessions/end-others")
        record = coordinator.get(f"/api/v1/young-people/{person_id}").get_json()
        assert record["sign_ins"]["count"] == 1


class TestLostPhone:
    def report(self, client, email: str, password: str):
        return client.post(LOST_PHONE, json={"email": email, "password": password})

    def test_the_answer_is_the_same_whatever_the_credentials(self, case, client):
        coordinator, _, _, young_person = case
        email = young_person.user.email
        wrong = self.report(client, email, "not the password")
        unknown = self.report(client, "nobody@example.org", PASSWORD)
        # Neither of those locked anything.
        assert signed_in(young_person)
        assert coordinator.get("/api/v1/alerts?kind=phone_compromised").get_json() == []
        right = self.report(client, email, PASSWORD)
        assert wrong.status_code == unknown.status_code == right.status_code == 202
        assert wrong.data == unknown.data == right.data
        assert right.get_json()["status"] == "received"
        assert not signed_in(young_person)

    def test_after_a_lockdown_nothing_the_old_phone_held_works(self, case, client, db):
        coordinator, mentor, person_id, young_person = case
        other_phone = sign_in(client, young_person.user)
        device = young_person.post(
            "/api/v1/me/devices", json={"platform": "android", "push_token": FCM_TOKEN}
        )
        assert device.status_code == 201, device.get_json()
        feed = young_person.post("/api/v1/me/calendar-token").get_json()["url"]
        feed_path = feed[feed.index("/api/v1/") :]
        assert client.get(feed_path).status_code == 200
        pins = young_person.put(
            "/api/v1/me/pins",
            json={"current_password": PASSWORD, "app_pin": "1234", "duress_pin": "5678"},
        )
        assert pins.status_code == 204

        assert self.report(client, young_person.user.email, PASSWORD).status_code == 202

        for old in (young_person, other_phone):
            assert not signed_in(old)
            assert refresh(client, old.tokens).status_code == 401
        assert client.get(feed_path).status_code == 404
        refused = client.post(
            "/api/v1/auth/login", json={"email": young_person.user.email, "password": PASSWORD}
        )
        assert refused.status_code == 403
        [alert] = coordinator.get("/api/v1/alerts?kind=phone_compromised").get_json()
        assert alert["urgent"] is True and alert["status"] == "open"
        assert alert["young_person_id"] == person_id
        assert alert["details"]["started_by"] == "young_person"
        assert [a["id"] for a in mentor.get("/api/v1/alerts").get_json()] == [alert["id"]]
        # Staff's bookings still reach the record; the old phone just hears nothing of them.
        book(mentor, person_id, datetime.now(UTC).replace(microsecond=0) + timedelta(days=2))

        # Back in only with a new activation code, and a new password.
        code = coordinator.post(f"/api/v1/young-people/{person_id}/activation-code")
        assert code.status_code == 201, code.get_json()
        activated = client.post(
            "/api/v1/auth/activate",
            json={
                "activation_code": code.get_json()["activation_code"],
                "email": young_person.user.email,
                "password": NEW_PASSWORD,
            },
        )
        assert activated.status_code == 201, activated.get_json()
        back = Caller(client, young_person.user, activated.get_json())
        assert signed_in(back)
        assert back.get("/api/v1/me/devices").get_json() == []
        assert back.post("/api/v1/me/pin-check", json={"pin": "1234"}).status_code == 409
        assert client.get(feed_path).status_code == 404
        old_password = client.post(
            "/api/v1/auth/login", json={"email": young_person.user.email, "password": PASSWORD}
        )
        assert old_password.status_code == 401
        sign_in(client, young_person.user, password=NEW_PASSWORD)

    def test_locked_down_until_a_coordinator_reissues_a_code(self, case, client):
        *_, young_person = case
        self.report(client, young_person.user.email, PASSWORD)
        # Reporting again changes nothing, and still answers the same.
        again = self.report(client, young_person.user.email, PASSWORD)
        assert again.status_code == 202
        for _ in range(2):
            login = client.post(
                "/api/v1/auth/login",
                json={"email": young_person.user.email, "password": PASSWORD},
            )
            assert login.status_code == 403
            assert "coordinator" in login.get_json()["message"]

    def test_lost_phone_is_throttled_like_sign_in(self, case, client, app):
        *_, young_person = case
        email = young_person.user.email
        limit = app.extensions["youthapp"].settings.login_account_max_failures
        for _ in range(limit):
            assert self.report(client, email, "a wrong guess").status_code == 202
        throttled = self.report(client, email, "a wrong guess")
        assert throttled.status_code == 429
        assert int(throttled.headers["Retry-After"]) > 0
        # Even the right password waits, here and at sign-in: they share one count.
        assert self.report(client, email, PASSWORD).status_code == 429
        login = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 429
        assert signed_in(young_person)  # nothing was locked down


class TestLockdownByStaff:
    def lock(self, staff, person_id: str):
        return staff.post(
            f"/api/v1/young-people/{person_id}/lockdown",
            json={"reason": "Her phone was taken by the man she was with."},
        )

    @pytest.mark.parametrize("who", ["coordinator", "mentor"])
    def test_the_coordinator_and_the_assigned_mentor_may(self, case, who):
        coordinator, mentor, person_id, young_person = case
        staff = {"coordinator": coordinator, "mentor": mentor}[who]
        locked = self.lock(staff, person_id)
        assert locked.status_code == 200, locked.get_json()
        assert locked.get_json()["young_person_id"] == person_id
        assert locked.get_json()["locked_down_at"]
        assert not signed_in(young_person)
        [alert] = coordinator.get("/api/v1/alerts?kind=phone_compromised").get_json()
        assert alert["details"]["started_by"] == who
        # Again: the same lockdown, not a second one.
        again = self.lock(staff, person_id)
        assert again.status_code == 200
        assert again.get_json()["locked_down_at"] == locked.get_json()["locked_down_at"]
        assert len(coordinator.get("/api/v1/alerts?kind=phone_compromised").get_json()) == 1

    def test_nobody_else_may(self, case, as_role):
        coordinator, _, person_id, young_person = case
        assert self.lock(as_role("mentor"), person_id).status_code == 404
        for role in ("referrer", "admin", "lead"):
            assert self.lock(as_role(role), person_id).status_code == 403, role
        assert (
            young_person.post(
                f"/api/v1/young-people/{person_id}/lockdown", json={"reason": "x"}
            ).status_code
            == 403
        )
        assert signed_in(young_person)
        assert coordinator.get("/api/v1/alerts?kind=phone_compromised").get_json() == []

    def test_a_reason_is_needed(self, case):
        coordinator, _, person_id, young_person = case
        response = coordinator.post(f"/api/v1/young-people/{person_id}/lockdown", json={})
        assert response.status_code == 422
        assert signed_in(young_person)
