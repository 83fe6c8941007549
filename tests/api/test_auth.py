"""Signing in, token rotation, sign-out, deactivation and throttling, through HTTP."""

from __future__ import annotations

from tests.conftest import PASSWORD

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_login_returns_tokens_and_the_user(client, make):
    mentor = make.staff("mentor")
    response = client.post(LOGIN, json={"email": mentor.email.upper(), "password": PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 15 * 60
    assert body["user"]["email"] == mentor.email
    assert body["user"]["role"] == "mentor"
    assert body["user"]["specialty"] == "housing"
    me = client.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.get_json()["id"] == str(mentor.id)


def test_unknown_email_and_wrong_password_answer_alike(client, make):
    user = make.staff()
    wrong_password = client.post(LOGIN, json={"email": user.email, "password": "not the password"})
    unknown_email = client.post(LOGIN, json={"email": "nobody@example.org", "password": PASSWORD})
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.get_json() == unknown_email.get_json()


def test_refresh_rotates_and_a_replayed_refresh_token_revokes_the_family(client, make):
    user = make.staff()
    first = make.login(user.email)
    second = client.post(REFRESH, headers=bearer(first["refresh_token"]))
    assert second.status_code == 200
    second = second.get_json()
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get("/api/v1/me", headers=bearer(second["access_token"])).status_code == 200

    replay = client.post(REFRESH, headers=bearer(first["refresh_token"]))
    assert replay.status_code == 401
    assert replay.get_json()["code"] == 401
    # The whole family is gone: the newest refresh token and its access token too.
    assert client.post(REFRESH, headers=bearer(second["refresh_token"])).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(second["access_token"])).status_code == 401
    # Another sign-in of the same user is untouched.
    other = make.login(user.email)
    assert client.get("/api/v1/me", headers=bearer(other["access_token"])).status_code == 200


def test_access_token_cannot_refresh_and_refresh_token_cannot_call_the_api(client, make):
    tokens = make.login(make.staff().email)
    assert client.post(REFRESH, headers=bearer(tokens["access_token"])).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(tokens["refresh_token"])).status_code == 401


def test_logout_ends_the_access_token_and_its_refresh_tokens(client, make):
    user = make.staff()
    tokens = make.login(user.email)
    other_device = make.login(user.email)
    assert client.post(LOGOUT, headers=bearer(tokens["access_token"])).status_code == 204
    assert client.get("/api/v1/me", headers=bearer(tokens["access_token"])).status_code == 401
    assert client.post(REFRESH, headers=bearer(tokens["refresh_token"])).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(other_device["access_token"])).status_code == 200


def test_deactivated_user_is_cut_off_at_once(client, make, admin):
    mentor = make.staff("mentor")
    tokens = make.login(mentor.email)
    response = admin.patch(f"/api/v1/users/{mentor.id}", json={"is_active": False})
    assert response.status_code == 200
    assert response.get_json()["is_active"] is False
    assert client.get("/api/v1/me", headers=bearer(tokens["access_token"])).status_code == 401
    assert client.post(REFRESH, headers=bearer(tokens["refresh_token"])).status_code == 401
    assert client.post(LOGIN, json={"email": mentor.email, "password": PASSWORD}).status_code == 401
    # Reactivation does not bring the old sessions back.
    admin.patch(f"/api/v1/users/{mentor.id}", json={"is_active": True})
    assert client.get("/api/v1/me", headers=bearer(tokens["access_token"])).status_code == 401
    assert client.post(LOGIN, json={"email": mentor.email, "password": PASSWORD}).status_code == 200


def test_account_locks_after_five_failures_even_for_the_right_password(client, make):
    user = make.staff()
    for _ in range(5):
        assert (
            client.post(
                LOGIN, json={"email": user.email, "password": "wrong password!"}
            ).status_code
            == 401
        )
    locked = client.post(LOGIN, json={"email": user.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert locked.get_json()["code"] == 429
    # An unknown email locks the same way, so lockouts do not reveal who has an account.
    for _ in range(5):
        client.post(LOGIN, json={"email": "ghost@example.org", "password": "wrong password!"})
    ghost = client.post(LOGIN, json={"email": "ghost@example.org", "password": PASSWORD})
    assert ghost.status_code == 429
    # Others on the same address are not locked out by one account's failures.
    other = make.staff()
    assert client.post(LOGIN, json={"email": other.email, "password": PASSWORD}).status_code == 200


def test_success_forgives_earlier_failures(client, make):
    user = make.staff()
    for _ in range(4):
        client.post(LOGIN, json={"email": user.email, "password": "wrong password!"})
    assert client.post(LOGIN, json={"email": user.email, "password": PASSWORD}).status_code == 200
    for _ in range(4):
        client.post(LOGIN, json={"email": user.email, "password": "wrong password!"})
    assert client.post(LOGIN, json={"email": user.email, "password": PASSWORD}).status_code == 200


def test_a_token_already_checked_still_stops_at_its_expiry_and_a_forged_one_never_works(
    app, client, make
):
    """Checked signatures are remembered, by header, only until the token's expiry."""
    import time
    from datetime import timedelta

    import jwt
    from flask_jwt_extended import create_access_token

    user = make.staff("mentor")
    signed_in = make.login(user.email)
    sid = jwt.decode(signed_in["access_token"], options={"verify_signature": False})["sid"]
    with app.app_context():
        brief = create_access_token(
            str(user.id), additional_claims={"sid": sid}, expires_delta=timedelta(seconds=2)
        )
    headers = {"Authorization": f"Bearer {brief}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    header, payload, signature = brief.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    )
    time.sleep(2.1)
    expired = client.get("/api/v1/me", headers=headers)
    assert expired.status_code == 401
    assert "expired" in expired.get_json()["message"]
    assert (
        client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {signed_in['access_token']}"}
        ).status_code
        == 200
    )
