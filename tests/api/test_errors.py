"""Every error in the one shape {code, status, message, errors?}, and never a 500 for bad input.

Everything here goes through HTTP. A few tests build their own app (a raising route, an
unreachable database, an unmigrated one, a rate limit) from the tests' settings.
"""

from __future__ import annotations

import io
import json
import logging
import re
import uuid
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import jwt
import pytest
from flask import Flask
from flask_jwt_extended import create_access_token
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from werkzeug.http import HTTP_STATUS_CODES

from tests.conftest import PASSWORD
from youthapp import migrations

LOGIN = "/api/v1/auth/login"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/me"
PREFERENCES = "/api/v1/me/preferences"
USERS = "/api/v1/users"
MIB = 1024 * 1024
UNREACHABLE_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/youthapp"
LOCATIONS = {"json", "query", "path", "headers", "cookies", "form", "files"}


def assert_error(response, code: int) -> dict[str, Any]:
    """The response is `code` in the one error shape; returns the body."""
    assert response.status_code == code, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) <= {"code", "status", "message", "errors", "request_id"}, body
    assert body["code"] == code
    assert body["status"] == HTTP_STATUS_CODES[code]  # "Unprocessable Entity", ...
    assert isinstance(body["message"], str) and body["message"].strip()
    if "errors" in body:
        assert body["errors"] and set(body["errors"]) <= LOCATIONS, body["errors"]
        for fields in body["errors"].values():
            assert isinstance(fields, dict) and fields
            for messages in fields.values():
                _assert_messages(messages)
    # Only a server error carries the id to quote; it never carries internals.
    assert ("request_id" in body) == (code >= 500)
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def _assert_messages(messages: Any) -> None:
    if isinstance(messages, dict):  # a nested object or a list, keyed by field or index
        assert messages
        for inner in messages.values():
            _assert_messages(inner)
    else:
        assert isinstance(messages, list) and messages
        assert all(isinstance(message, str) and message for message in messages)


def post_raw(client, path: str, data: bytes, content_type: str = "application/json", **kwargs):
    return client.post(path, data=data, content_type=content_type, **kwargs)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- 400: bodies that are not JSON at all -------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"email": "a@example.org", "password": ', id="truncated"),
        pytest.param(b"{'email': 'a@example.org'}", id="single-quotes"),
        pytest.param(b"", id="empty"),
        pytest.param(b'{"email": "\xff\xfe@example.org", "password": "x"}', id="invalid-utf-8"),
        pytest.param(b"\xef\xbb\xbf" + b'{"email": "a@example.org"}', id="utf-8-bom"),
        pytest.param(
            b'{"email": "a@example.org", "password": "x"}'.decode().encode("utf-16"), id="utf-16"
        ),
        pytest.param(b"[" * 100_000, id="100000-open-brackets"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, id="100000-nested-lists"),
        pytest.param(b'{"a": ' * 50_000 + b"1" + b"}" * 50_000, id="50000-nested-objects"),
        pytest.param(
            b'{"email": "a@example.org", "password": "x", "n": ' + b"[" * 40 + b"]" * 40 + b"}",
            id="40-levels-inside-a-body",
        ),
        pytest.param(b'{"email": NaN, "password": "x"}', id="NaN"),
        pytest.param(b'{"email": Infinity, "password": "x"}', id="Infinity"),
        pytest.param(b'{"email": -Infinity, "password": "x"}', id="-Infinity"),
        pytest.param(b'{"email": 1e400, "password": "x"}', id="1e400-is-infinity"),
    ],
)
def test_a_body_that_is_not_json_is_400(client, body):
    response = post_raw(client, LOGIN, body)
    assert "errors" not in assert_error(response, 400)


def test_a_broken_body_is_not_counted_as_a_failed_sign_in(client, make):
    user = make.staff()
    for _ in range(6):
        assert_error(post_raw(client, LOGIN, b'{"email": "' + user.email.encode() + b'", '), 400)
    assert client.post(LOGIN, json={"email": user.email, "password": PASSWORD}).status_code == 200


# --- 415: a body that is not JSON where JSON is expected ----------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"email=a@example.org&password=secret", "application/x-www-form-urlencoded"),
        (b'{"email": "a@example.org", "password": "secret"}', "text/plain"),
        (
            b'--b\r\nContent-Disposition: form-data; name="email"\r\n\r\n'
            b"a@example.org\r\n--b--\r\n",
            "multipart/form-data; boundary=b",
        ),
        (b'{"email": "a@example.org", "password": "secret"}', ""),
    ],
)
def test_a_body_that_is_not_sent_as_json_is_415(client, body, content_type):
    response = client.post(LOGIN, data=body, headers={"Content-Type": content_type})
    assert "errors" not in assert_error(response, 415)


# --- 422: well-formed JSON that the contract refuses --------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "a@example.org", "password": PASSWORD, "remember_me": True}, "remember_me"),
        ({"password": PASSWORD}, "email"),
        ({"email": "a@example.org"}, "password"),
        ({"email": "a@example.org", "password": 1234567890123}, "password"),
        ({"email": ["a@example.org"], "password": PASSWORD}, "email"),
        ({"email": "a\x00@example.org", "password": PASSWORD}, "email"),
        ({"email": "a@example.org", "password": "pass\x00word long enough"}, "password"),
        ({"email": "a@example.org", "password": PASSWORD, "k\x00y": 1}, "_schema"),
        ({"email": "a@example.org", "password": "x" * 1025}, "password"),
        ([], "_schema"),
        (None, "_schema"),
        ("a@example.org", "_schema"),
    ],
)
def test_a_login_body_the_contract_refuses_is_422_naming_the_field(client, body, field):
    answer = assert_error(post_raw(client, LOGIN, json.dumps(body).encode()), 422)
    assert field in answer["errors"]["json"]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (rb'{"email": "\ud800@x.org", "password": "a long test passphrase"}', "email"),
        (rb'{"email": "a@x.org", "password": "a long test \udfff passphrase"}', "password"),
        (rb'{"\ud800": 1, "email": "a@x.org", "password": "a long test passphrase"}', "_schema"),
    ],
)
def test_a_lone_surrogate_is_422_as_text_that_cannot_be_stored(client, raw, field):
    body = assert_error(post_raw(client, LOGIN, raw), 422)
    assert field in body["errors"]["json"]


@pytest.mark.parametrize(
    "change",
    [
        {"discreet_mode": "false"},  # a string for a boolean is not read as one ...
        {"discreet_mode": "no"},
        {"discreet_mode": 0},  # ... nor is a number
        {"location_sharing": "yes"},
        {"location_sharing": 1},
        {"quiet_hours": ["22:00", "07:00"]},  # a list for an object
        {"quiet_hours": "22:00-07:00"},
        {"language": 5},  # a number for a string
        {"timezone": ["Europe/London"]},
    ],
)
def test_a_value_of_the_wrong_type_is_422_and_nothing_changes(as_role, change):
    mentor = as_role("mentor")
    before = mentor.get(PREFERENCES).get_json()
    body = assert_error(mentor.put(PREFERENCES, json=change), 422)
    assert set(body["errors"]["json"]) == set(change)
    assert mentor.get(PREFERENCES).get_json() == before


@pytest.mark.parametrize("is_active", ["false", "False", "0", 0, "off", "no", ""])
def test_a_string_or_number_never_deactivates_an_account(make, admin, is_active):
    mentor = make.staff("mentor")
    tokens = make.login(mentor.email)
    body = assert_error(admin.patch(f"{USERS}/{mentor.id}", json={"is_active": is_active}), 422)
    assert "is_active" in body["errors"]["json"]
    assert admin.client.get(ME, headers=bearer(tokens["access_token"])).status_code == 200


def staff_user(**overrides: Any) -> dict[str, Any]:
    return {
        "email": f"new{uuid.uuid4().hex[:8]}@example.org",
        "password": PASSWORD,
        "display_name": "Sam Mentor",
        "role": "mentor",
        "specialty": "housing",
        **overrides,
    }


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"display_name": "x" * 10_000}, "display_name"),
        ({"display_name": "x" * 101}, "display_name"),
        ({"email": "a" * 250 + "@example.org"}, "email"),
        (
            {
                "role": "referrer",
                "specialty": None,
                "referrer_type": "teacher",
                "organisation": "o" * 201,
            },
            "organisation",
        ),
        ({"display_name": "Sam\x00"}, "display_name"),
        ({"role": "superuser"}, "role"),
        ({"is_active": True}, "is_active"),
    ],
)
def test_a_staff_account_the_contract_refuses_is_422_and_not_created(admin, overrides, field):
    data = staff_user(**overrides)
    body = assert_error(admin.post(USERS, json=data), 422)
    assert field in body["errors"]["json"]
    listed = admin.get(USERS, query_string={"page_size": 100}).get_json()
    assert data["email"] not in {user["email"] for user in listed}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page_size=101", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=-1", "page_size"),
        ("page=abc", "page"),
        ("page=0", "page"),
        ("page=1.5", "page"),
        ("page=" + "9" * 30, "page"),  # would be a row offset no database can hold
        ("page=99999999999999999", "page"),
        ("role=%00", "role"),
        ("role=mentor%00", "role"),
        ("is_active=maybe", "is_active"),
        ("role=janitor", "role"),
    ],
)
def test_a_bad_query_string_is_422_naming_the_parameter(admin, query, field):
    body = assert_error(admin.get(f"{USERS}?{query}"), 422)
    assert field in body["errors"]["query"]


def test_a_nul_in_a_query_parameter_name_is_422(admin):
    body = assert_error(admin.get(f"{USERS}?ro%00le=mentor"), 422)
    assert "query" in body["errors"]


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"])
def test_a_time_that_leaves_the_calendar_in_utc_is_422(admin, moment):
    body = assert_error(admin.get("/api/v1/audit", query_string={"to": moment}), 422)
    assert "to" in body["errors"]["query"]


# --- 413: bodies over 1 MiB ---------------------------------------------------------


def big_json(size: int = MIB + 1) -> bytes:
    padding = size - len(b'{"email": "", "password": "x"}')
    return b'{"email": "' + b"a" * padding + b'", "password": "x"}'


def test_a_body_over_1_mib_is_413(client):
    assert_error(post_raw(client, LOGIN, big_json()), 413)
    assert_error(post_raw(client, LOGIN, b"a" * (MIB + 1), content_type="text/plain"), 413)


def test_a_body_of_exactly_1_mib_is_read(client):
    # Read, and refused for what it says (the email is too long), not for its size.
    body = assert_error(post_raw(client, LOGIN, big_json(MIB)), 422)
    assert "email" in body["errors"]["json"]


def test_a_body_over_1_mib_is_413_even_where_no_body_is_read(client, make):
    tokens = make.login(make.staff().email)
    response = post_raw(client, LOGOUT, big_json(), headers=bearer(tokens["access_token"]))
    assert_error(response, 413)
    # Refused before anything happened: the sign-in did not end.
    assert client.get(ME, headers=bearer(tokens["access_token"])).status_code == 200


def test_a_streamed_body_over_1_mib_is_413_not_cut_short(client, make):
    # A server that handles chunked uploads (gunicorn) sets wsgi.input_terminated; the body
    # then arrives without a Content-Length, and Werkzeug stops reading at the limit.
    def streamed(data: bytes):
        return client.post(
            LOGIN,
            input_stream=io.BytesIO(data),
            headers={"Transfer-Encoding": "chunked", "Content-Type": "application/json"},
            environ_overrides={"wsgi.input_terminated": True},
        )

    # A valid body followed by padding: cut at the limit it would still parse.
    assert_error(streamed(b'{"email": "a@example.org", "password": "x"}' + b" " * MIB), 413)
    user = make.staff()
    small = json.dumps({"email": user.email, "password": PASSWORD}).encode()
    assert streamed(small).status_code == 200


# --- 404 and 405 --------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/no-such-page",
        "/api/v1/no-such-thing",
        "/api/v2/users",
        f"{USERS}/not-a-uuid",
        f"{USERS}/{uuid.UUID(int=0)}",
        f"{USERS}/{uuid.uuid4()}",
        f"{USERS}/%00",
        f"{USERS}/",
    ],
)
def test_an_unknown_route_or_record_is_404(admin, path):
    assert_error(admin.get(path), 404)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", LOGIN, {"POST"}),
        ("PUT", LOGIN, {"POST"}),
        ("DELETE", USERS, {"GET", "POST"}),
        ("POST", ME, {"GET"}),
        ("POST", "/healthz", {"GET"}),
    ],
)
def test_a_wrong_method_is_405_with_allow(admin, method, path, allowed):
    response = admin.client.open(path, method=method, headers=admin.headers)
    assert_error(response, 405)
    allow = {name.strip() for name in response.headers["Allow"].split(",")}
    assert allowed <= allow and method not in allow


# --- 401 -----------------------------------------------------------------------------


def _forged(tokens: dict[str, Any], app: Flask) -> dict[str, str]:
    """Tokens for one live sign-in, each wrong in one way only."""
    token = tokens["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    with app.test_request_context():
        expired = create_access_token(
            claims["sub"],
            additional_claims={"sid": claims["sid"]},
            expires_delta=timedelta(seconds=-30),
        )
    header, payload, signature = token.split(".")
    another_user = jwt.utils.base64url_encode(
        json.dumps({**claims, "sub": str(uuid.uuid4())}).encode()
    ).decode()
    return {
        "access": token,
        "another_key": jwt.encode(claims, "another-signing-key-" + "y" * 40, algorithm="HS256"),
        "expired": expired,
        "alg_none": jwt.encode(claims, None, algorithm="none"),
        "payload_changed": f"{header}.{another_user}.{signature}",
        "signature_dropped": f"{header}.{payload}.",
        "refresh": tokens["refresh_token"],
    }


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="no-header"),
        pytest.param("", id="empty-header"),
        pytest.param("Bearer", id="no-token"),
        pytest.param("Bearer garbage", id="garbage"),
        pytest.param("Bearer a.b.c", id="three-garbage-parts"),
        pytest.param("Basic YWRtaW46YWRtaW4=", id="basic-auth"),
        pytest.param("Token {access}", id="another-scheme"),
        pytest.param("Bearer {another_key}", id="signed-with-another-key"),
        pytest.param("Bearer {expired}", id="expired"),
        pytest.param("Bearer {alg_none}", id="alg-none"),
        pytest.param("Bearer {payload_changed}", id="payload-changed"),
        pytest.param("Bearer {signature_dropped}", id="signature-dropped"),
        pytest.param("Bearer {refresh}", id="refresh-token-as-access-token"),
    ],
)
def test_a_missing_or_bad_token_is_401(app, client, make, authorization):
    tokens = make.login(make.staff("admin").email)
    headers = {}
    if authorization is not None:
        headers["Authorization"] = authorization.format(**_forged(tokens, app))
    for response in (client.get(ME, headers=headers), client.get(USERS, headers=headers)):
        assert_error(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    # The sign-in the tokens were forged from is alive: the token alone was at fault.
    assert client.get(ME, headers=bearer(tokens["access_token"])).status_code == 200


# --- 403, 409, 429 -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["mentor", "coordinator", "referrer"])
def test_a_role_without_the_right_is_403_and_nothing_is_created(as_role, admin, role):
    caller = as_role(role)
    assert_error(caller.get(USERS), 403)
    data = staff_user()
    assert_error(caller.post(USERS, json=data), 403)
    listed = admin.get(USERS, query_string={"page_size": 100}).get_json()
    assert data["email"] not in {user["email"] for user in listed}


def test_a_duplicate_email_is_409(admin):
    data = staff_user()
    assert admin.post(USERS, json=data).status_code == 201
    assert_error(admin.post(USERS, json=data), 409)
    assert_error(admin.post(USERS, json={**data, "email": data["email"].upper()}), 409)


def test_a_locked_account_is_429_with_retry_after(client, make):
    user = make.staff()
    for _ in range(5):
        assert_error(client.post(LOGIN, json={"email": user.email, "password": "wrong one!"}), 401)
    response = client.post(LOGIN, json={"email": user.email, "password": PASSWORD})
    assert_error(response, 429)
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60 + 1


def test_a_global_rate_limit_is_429_with_retry_after_and_a_request_id(build_app):
    limited = build_app(rate_limit_default="2/minute").test_client()
    answers = [limited.get(ME) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [401, 401, 429]
    assert_error(answers[-1], 429)
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert re.fullmatch(r"[0-9a-f]{32}", answers[-1].headers["X-Request-ID"])


def test_the_global_rate_limit_is_one_budget_per_client_across_routes(build_app):
    limited = build_app(rate_limit_default="2/minute").test_client()
    answers = [limited.get(path) for path in (ME, "/api/v1/me/plan", "/api/v1/me/appointments")]
    assert [answer.status_code for answer in answers] == [401, 401, 429]
    # Help is never behind the limit.
    assert limited.get("/api/v1/content/crisis").status_code == 200


def test_an_unreachable_rate_limit_store_does_not_stop_the_service(build_app, caplog):
    # Same limit as above: the limiter is one object, and keeps the first limit it is given.
    limited = build_app(rate_limit_default="2/minute", redis_url="redis://127.0.0.1:1/0")
    client = limited.test_client()
    with caplog.at_level(logging.ERROR):
        for _ in range(3):
            assert_error(client.get(ME), 401)  # served, unlimited, and not a 500
    assert any("rate limit" in record.getMessage().lower() for record in caplog.records)


# --- 500: the server's own failures --------------------------------------------------


@pytest.fixture
def failing_app(build_app) -> Flask:
    app = build_app()
    failures = {
        "runtime": RuntimeError("secret detail: /srv/youthapp/keys, young person Jordan S."),
        "data": DataError(
            "UPDATE users SET language=%(language)s",
            {"language": "x" * 40},
            Exception("value too long for type character varying(35)"),
        ),
        "integrity": IntegrityError("INSERT INTO users", {}, Exception("duplicate key")),
        "operational": OperationalError("SELECT 1", {}, Exception("server closed the connection")),
    }

    def fail(kind: str):
        raise failures[kind]

    app.add_url_rule("/api/v1/fail/<kind>", "fail", fail)
    return app


def test_an_unexpected_error_is_500_with_a_request_id_and_no_internals(failing_app, caplog):
    client = failing_app.test_client()
    with caplog.at_level(logging.ERROR, logger="api.errors"):
        response = client.get("/api/v1/fail/runtime")
    body = assert_error(response, 500)
    assert body["request_id"] and body["request_id"] == response.headers["X-Request-ID"]
    text = response.get_data(as_text=True)
    assert "secret detail" not in text and "RuntimeError" not in text and "Jordan" not in text
    # The operators have it all, under the same id.
    logged = [record for record in caplog.records if body["request_id"] in record.getMessage()]
    assert logged and logged[0].exc_info is not None

    offered = client.get("/api/v1/fail/runtime", headers={"X-Request-ID": "phone-abc-123456"})
    assert assert_error(offered, 500)["request_id"] == "phone-abc-123456"
    assert offered.headers["X-Request-ID"] == "phone-abc-123456"


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("data", 422),  # the database could not store a value: the caller's to fix
        ("integrity", 409),  # a race past the service's own check
        ("operational", 503),  # the database went away
    ],
)
def test_database_errors_are_answered_in_the_one_shape(failing_app, kind, code):
    response = failing_app.test_client().get(f"/api/v1/fail/{kind}")
    body = assert_error(response, code)
    assert "character varying" not in body["message"] and "duplicate" not in body["message"]
    if code == 503:
        assert int(response.headers["Retry-After"]) > 0


# --- 503: the database is unreachable or not migrated --------------------------------


def test_an_unreachable_database_is_503_with_retry_after(build_app):
    app = build_app(UNREACHABLE_DATABASE)
    client = app.test_client()
    with app.test_request_context():
        token = create_access_token(str(uuid.uuid4()), additional_claims={"sid": str(uuid.uuid4())})
    answers = [
        client.post(LOGIN, json={"email": "a@example.org", "password": PASSWORD}),
        # A signed-in phone is told to wait, not that its sign-in is gone (401).
        client.get(ME, headers=bearer(token)),
        client.get("/readyz"),
    ]
    for response in answers:
        assert_error(response, 503)
        assert int(response.headers["Retry-After"]) > 0
    assert client.get("/healthz").status_code == 200


def test_an_unmigrated_database_is_not_ready_until_migrated(build_app):
    app = build_app()
    client = app.test_client()
    response = client.get("/readyz")
    assert_error(response, 503)
    assert int(response.headers["Retry-After"]) > 0
    assert client.get("/healthz").status_code == 200
    migrations.upgrade(app.extensions["youthapp"].engine)
    assert client.get("/readyz").status_code == 200


# --- Every route: no bad body or query string is ever a 500 --------------------------

WRONG_TYPE = {
    "string": 12345,
    "boolean": "true",
    "integer": "12",
    "number": "1.5",
    "array": {"item": 1},
    "object": [1],
}


def _wrong_value(prop: dict[str, Any]) -> Any:
    if "$ref" in prop or "anyOf" in prop or "allOf" in prop:
        return [1]
    return WRONG_TYPE.get(prop.get("type"), [[]])


def _operations(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, operations in spec["paths"].items():
        url = re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)
        for method, operation in operations.items():
            if method != "parameters":
                yield spec, method.upper(), url, operation


@pytest.fixture
def callers(as_role, programme) -> list[Any]:
    """A client for each role, and one signed in as nobody."""
    coordinator = as_role("coordinator")
    _, young_person = programme.young_person(coordinator)
    return [
        SimpleNamespace(headers={}),
        as_role("admin"),
        coordinator,
        as_role("mentor"),
        as_role("referrer"),
        young_person,
    ]


def test_no_bad_body_to_any_route_is_a_500(client, callers):
    checked = 0
    for spec, method, url, operation in _operations(client):
        schema_ref = (
            operation.get("requestBody", {})
            .get("content", {})
            .get("application/json", {})
            .get("schema", {})
            .get("$ref")
        )
        if not schema_ref:
            continue

        def send(
            data: bytes,
            headers: dict[str, str],
            content_type="application/json",
            method=method,
            url=url,
        ):
            return client.open(
                url, method=method, data=data, content_type=content_type, headers=headers
            )

        # The first caller whose role lets them past the gate.
        headers = next(
            (caller.headers for caller in callers if send(b"{", caller.headers).status_code == 400),
            None,
        )
        assert headers is not None, f"no role reaches the body of {method} {url}"
        properties = spec["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]["properties"]
        wrong = {
            name: _wrong_value(prop)
            for name, prop in properties.items()
            if not prop.get("readOnly")
        }
        for data, code in [
            (b"[" * 100_000, 400),
            (b'{"a": NaN}', 400),
            (b"\xff", 400),
            (json.dumps(wrong).encode(), 422),
            (b'{"no_such_field": 1}', 422),
            (b'{"k": "\\ud800"}', 422),
            (b"[]", 422),
            (big_json(), 413),
        ]:
            body = assert_error(send(data, headers), code)
            if data.startswith(b'{"') and code == 422:
                assert set(json.loads(data)) <= set(body["errors"]["json"]), (method, url, body)
        assert_error(send(b"a=b", headers, "application/x-www-form-urlencoded"), 415)
        checked += 1
    assert checked >= 5


def test_no_bad_page_on_any_list_is_a_500(client, callers):
    checked = 0
    for _spec, method, url, operation in _operations(client):
        names = {parameter["name"] for parameter in operation.get("parameters", [])}
        if method != "GET" or not {"page", "page_size"} <= names:
            continue
        headers = next(
            (
                caller.headers
                for caller in callers
                if client.get(url, headers=caller.headers).status_code not in (401, 403)
            ),
            None,
        )
        assert headers is not None, f"no role may list {url}"
        for query, field in [
            ("page=" + "9" * 30, "page"),
            ("page=abc", "page"),
            ("page_size=101", "page_size"),
            ("page_size=0", "page_size"),
        ]:
            body = assert_error(client.get(f"{url}?{query}", headers=headers), 422)
            assert field in body["errors"]["query"]
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize("mood", [4.9, 1.5, 3.0000001])
def test_a_fraction_for_a_whole_number_is_422_not_cut_short(as_role, programme, mood):
    coordinator = as_role("coordinator")
    _, young_person = programme.young_person(coordinator)
    body = {"client_ref": "f", "mood": mood, "feeling_safe": True, "needs_help": False}
    error = assert_error(young_person.post("/api/v1/me/check-ins", json=body), 422)
    assert "mood" in error["errors"]["json"]
    assert young_person.get("/api/v1/me/check-ins").get_json() == []
    # A whole number written with a decimal point is still that number.
    whole = young_person.post("/api/v1/me/check-ins", json={**body, "mood": 4.0})
    assert whole.status_code == 201 and whole.get_json()["mood"] == 4


def test_a_fraction_of_a_minute_is_422(as_role, programme):
    coordinator, mentor = as_role("coordinator"), as_role("mentor")
    person_id, _ = programme.young_person(coordinator)
    programme.assign(coordinator, person_id, mentor)
    response = mentor.post(
        "/api/v1/appointments",
        json={
            "young_person_id": person_id,
            "mentor_id": str(mentor.user.id),
            "starts_at": "2027-03-01T10:00:00+00:00",
            "duration_minutes": 30.9,
            "mode": "phone",
        },
    )
    error = assert_error(response, 422)
    assert "duration_minutes" in error["errors"]["json"]
    assert mentor.get("/api/v1/appointments").get_json() == []
