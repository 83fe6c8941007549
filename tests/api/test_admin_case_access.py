"""Admins do not read case content, and cannot quietly give themselves a way to: making a
coordinator account or resetting a mentor's or coordinator's password is recorded loudly,
told to every other admin and to the account's holder, and under ADMIN_CASE_ACCESS=
two_person the account waits for a second admin."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

USERS = "/api/v1/users"
LOGIN = "/api/v1/auth/login"
ANOTHER_PASSWORD = "violet kettle under the stairs"


def bearer(tokens: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def coordinator_body(n: int = 1) -> dict:
    return {
        "email": f"duty.coordinator{n}@example.org",
        "password": "sturdy lantern river fox",
        "display_name": "Duty Coordinator",
        "role": "coordinator",
    }


def account_changes(caller) -> list[dict]:
    return [
        n
        for n in caller.get("/api/v1/me/notifications").get_json()
        if n["kind"] == "account_change"
    ]


def test_making_a_coordinator_is_told_to_the_other_admins_and_the_new_account(as_role, make):
    acting, other = as_role("admin"), as_role("admin")
    created = acting.post(USERS, json=coordinator_body())
    assert created.status_code == 201
    [told] = account_changes(other)
    assert "coordinator" in told["body"] and told["data"] == {"user_id": created.get_json()["id"]}
    assert account_changes(acting) == []
    newcomer = make.login(coordinator_body()["email"], coordinator_body()["password"])
    inbox = make.client.get("/api/v1/me/notifications", headers=bearer(newcomer)).get_json()
    assert [n["kind"] for n in inbox] == ["account_change"]
    trail = acting.get(f"/api/v1/audit?actor_id={acting.user.id}&page_size=100").get_json()
    loud = [e for e in trail if e["action"] == "admin.case_access_given"]
    assert [e["details"] for e in loud] == [{"role": "coordinator", "fields": ["account"]}]


def test_resetting_a_mentors_password_is_told_too(as_role, make):
    acting, other = as_role("admin"), as_role("admin")
    mentor = make.staff("mentor")
    response = acting.patch(f"{USERS}/{mentor.id}", json={"password": ANOTHER_PASSWORD})
    assert response.status_code == 200
    assert "mentor's password" in account_changes(other)[0]["body"]
    signed_in = make.login(mentor.email, ANOTHER_PASSWORD)
    inbox = make.client.get("/api/v1/me/notifications", headers=bearer(signed_in)).get_json()
    assert inbox[0]["title"] == "Your password was reset"


def test_a_referrer_account_or_a_new_mentor_gives_no_case_access(as_role):
    acting, other = as_role("admin"), as_role("admin")
    acting.post(
        USERS,
        json={
            "email": "new.mentor@example.org",
            "password": "sturdy lantern river fox",
            "display_name": "New Mentor",
            "role": "mentor",
            "specialty": "housing",
        },
    )
    assert account_changes(other) == []


@pytest.fixture
def strict(build_app, database_url):
    """The same database, served under the two-person rule."""
    return build_app(database_url=database_url, admin_case_access="two_person").test_client()


def sign_in(client, email: str, password: str = PASSWORD):
    return client.post(LOGIN, json={"email": email, "password": password})


def test_under_the_two_person_rule_a_new_coordinator_waits_for_a_second_admin(strict, make):
    first, second = make.staff("admin"), make.staff("admin")
    first_tokens = sign_in(strict, first.email).get_json()
    second_tokens = sign_in(strict, second.email).get_json()
    created = strict.post(USERS, json=coordinator_body(2), headers=bearer(first_tokens))
    assert created.status_code == 201 and created.get_json()["awaiting_approval_since"]
    user_id = created.get_json()["id"]

    waiting = sign_in(strict, coordinator_body(2)["email"], coordinator_body(2)["password"])
    assert waiting.status_code == 403 and "second admin" in waiting.get_json()["message"]
    own = strict.post(f"{USERS}/{user_id}/approve", headers=bearer(first_tokens))
    assert own.status_code == 403
    approved = strict.post(f"{USERS}/{user_id}/approve", headers=bearer(second_tokens))
    assert approved.status_code == 200 and approved.get_json()["awaiting_approval_since"] is None
    assert (
        strict.post(f"{USERS}/{user_id}/approve", headers=bearer(second_tokens)).status_code == 409
    )
    let_in = sign_in(strict, coordinator_body(2)["email"], coordinator_body(2)["password"])
    assert let_in.status_code == 200


def test_under_the_two_person_rule_a_reset_password_waits_too(strict, make):
    first, second = make.staff("admin"), make.staff("admin")
    mentor = make.staff("mentor")
    tokens = make.login(mentor.email)
    first_tokens = sign_in(strict, first.email).get_json()
    reset = strict.patch(
        f"{USERS}/{mentor.id}", json={"password": ANOTHER_PASSWORD}, headers=bearer(first_tokens)
    )
    assert reset.status_code == 200
    assert strict.get("/api/v1/me", headers=bearer(tokens)).status_code == 401  # sign-ins ended
    assert sign_in(strict, mentor.email, ANOTHER_PASSWORD).status_code == 403
    second_tokens = sign_in(strict, second.email).get_json()
    strict.post(f"{USERS}/{mentor.id}/approve", headers=bearer(second_tokens))
    assert sign_in(strict, mentor.email, ANOTHER_PASSWORD).status_code == 200
