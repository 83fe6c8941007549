"""Rotating the signing key with JWT_SECRET_KEY_PREVIOUS, through HTTP: tokens signed with
the previous key keep working until they expire, so a rotation signs nobody out; tokens
under any other key, or under the old key once it is no longer named, are 401."""

from __future__ import annotations

import jwt
import pytest

from tests.conftest import PASSWORD
from youthapp.config import ConfigurationError, load_settings

OLD_KEY = "the-old-signing-key-" + "o" * 32
NEW_KEY = "the-new-signing-key-" + "n" * 32
UNRELATED_KEY = "somebody-elses-signing-key-" + "u" * 32

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
ME = "/api/v1/me"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in(app, email: str) -> dict:
    response = app.test_client().post(LOGIN, json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def assert_refused(response) -> None:
    assert response.status_code == 401
    body = response.get_json()
    assert body["code"] == 401
    assert body["status"] == "Unauthorized"
    assert body["message"] == "Sign in to continue: the token is not valid."
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="youthapp"'


@pytest.fixture
def before_rotation(build_app, database_url):
    return build_app(database_url=database_url, jwt_secret_key=OLD_KEY)


@pytest.fixture
def after_rotation(build_app, database_url):
    return build_app(
        database_url=database_url, jwt_secret_key=NEW_KEY, jwt_secret_key_previous=OLD_KEY
    )


def test_a_token_signed_with_the_previous_key_still_works(before_rotation, after_rotation, make):
    user = make.staff("mentor")
    tokens = sign_in(before_rotation, user.email)
    client = after_rotation.test_client()

    me = client.get(ME, headers=bearer(tokens["access_token"]))
    assert me.status_code == 200, me.get_json()
    assert me.get_json()["id"] == str(user.id)

    # A refresh token from before the rotation renews the sign-in, and what it gets back
    # is signed with the new key only.
    renewed = client.post(REFRESH, headers=bearer(tokens["refresh_token"]))
    assert renewed.status_code == 200, renewed.get_json()
    renewed = renewed.get_json()
    for kind in ("access_token", "refresh_token"):
        jwt.decode(renewed[kind], NEW_KEY, algorithms=["HS256"])
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(renewed[kind], OLD_KEY, algorithms=["HS256"])
    assert client.get(ME, headers=bearer(renewed["access_token"])).status_code == 200


def test_new_sign_ins_are_signed_with_the_new_key(after_rotation, make):
    tokens = sign_in(after_rotation, make.staff().email)
    jwt.decode(tokens["access_token"], NEW_KEY, algorithms=["HS256"])
    assert (
        after_rotation.test_client().get(ME, headers=bearer(tokens["access_token"])).status_code
        == 200
    )


def test_a_token_under_an_unrelated_key_is_refused(build_app, database_url, after_rotation, make):
    user = make.staff()
    elsewhere = build_app(database_url=database_url, jwt_secret_key=UNRELATED_KEY)
    tokens = sign_in(elsewhere, user.email)  # a live sign-in: only the key is wrong
    client = after_rotation.test_client()
    assert_refused(client.get(ME, headers=bearer(tokens["access_token"])))
    assert_refused(client.post(REFRESH, headers=bearer(tokens["refresh_token"])))


def test_without_the_previous_key_an_old_token_is_refused(
    build_app, database_url, before_rotation, make
):
    tokens = sign_in(before_rotation, make.staff().email)
    rotated_without_previous = build_app(database_url=database_url, jwt_secret_key=NEW_KEY)
    client = rotated_without_previous.test_client()
    assert_refused(client.get(ME, headers=bearer(tokens["access_token"])))
    assert_refused(client.post(REFRESH, headers=bearer(tokens["refresh_token"])))


def test_the_previous_key_never_outlives_a_token(before_rotation, after_rotation, make):
    """The previous key only stands in for the signature: an expired token, or an access
    token offered as a refresh token, is refused as before."""
    user = make.staff()
    tokens = sign_in(before_rotation, user.email)
    claims = jwt.decode(tokens["access_token"], OLD_KEY, algorithms=["HS256"])
    expired = jwt.encode({**claims, "exp": claims["iat"] - 1}, OLD_KEY, algorithm="HS256")
    client = after_rotation.test_client()

    response = client.get(ME, headers=bearer(expired))
    assert response.status_code == 401
    assert response.get_json()["message"] == "Sign in to continue: the token has expired."
    assert client.post(REFRESH, headers=bearer(tokens["access_token"])).status_code == 401
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert_refused(client.get(ME, headers=bearer(unsigned)))


# --- the setting --------------------------------------------------------------------------


def production(**env: str) -> dict[str, str]:
    return {"YOUTHAPP_ENV": "production", "JWT_SECRET_KEY": NEW_KEY, **env}


def test_the_previous_key_is_optional(tmp_path):
    assert load_settings(production(), instance_path=tmp_path).jwt_secret_key_previous == ""
    settings = load_settings(production(JWT_SECRET_KEY_PREVIOUS=OLD_KEY), instance_path=tmp_path)
    assert settings.jwt_secret_key_previous == OLD_KEY
    assert OLD_KEY not in repr(settings)


@pytest.mark.parametrize("environment", ["production", "test"])
@pytest.mark.parametrize("key", ["short-secret", "x" * 31, " " * 40])
def test_outside_development_a_weak_previous_key_is_refused(tmp_path, environment, key):
    env = {"YOUTHAPP_ENV": environment, "JWT_SECRET_KEY": NEW_KEY, "JWT_SECRET_KEY_PREVIOUS": key}
    with pytest.raises(ConfigurationError, match="JWT_SECRET_KEY_PREVIOUS") as raised:
        load_settings(env, instance_path=tmp_path)
    if key.strip():
        assert key.strip() not in str(raised.value)  # the error never repeats the secret


def test_development_takes_a_short_previous_key(tmp_path):
    env = {"YOUTHAPP_ENV": "development", "JWT_SECRET_KEY_PREVIOUS": "dev-old"}
    assert load_settings(env, instance_path=tmp_path).jwt_secret_key_previous == "dev-old"


def test_the_previous_key_must_not_be_the_current_one(tmp_path):
    with pytest.raises(ConfigurationError, match="same as JWT_SECRET_KEY") as raised:
        load_settings(production(JWT_SECRET_KEY_PREVIOUS=NEW_KEY), instance_path=tmp_path)
    assert NEW_KEY not in str(raised.value)


def test_an_activation_code_and_a_calendar_link_from_before_the_rotation_still_work(
    before_rotation, after_rotation, make
):
    from tests.conftest import Factory, Programme

    old = Programme(Factory(before_rotation, before_rotation.test_client()))
    coordinator = old.make.caller("coordinator")
    enrolment = old.enrol(coordinator)
    unused = old.enrol(coordinator, first_name="Sam", date_of_birth="2009-03-02")
    young_person = old.activate(enrolment)
    url = young_person.get("/api/v1/me/calendar-token").get_json()["url"]
    client = after_rotation.test_client()
    feed = client.get(url[url.index("/api/v1/") :])
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    feed.close()
    activated = client.post(
        "/api/v1/auth/activate",
        json={
            "activation_code": unused["activation_code"],
            "email": "sam.rotation@example.org",
            "password": PASSWORD,
        },
    )
    assert activated.status_code == 201, activated.get_json()
