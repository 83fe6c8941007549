"""No log line - the access log, the app's own, an error's traceback - holds a password, a
token, an activation code, the calendar feed's key or a young person's note."""

from __future__ import annotations

import http.client
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import request
from sqlalchemy import text
from sqlalchemy.exc import DataError
from werkzeug.serving import make_server

from api.database import db_session
from api.logs import REDACTED, redact
from tests.conftest import PASSWORD

NOTE = "He said he would wait for me outside the chicken shop on Mare Street"
NEW_PASSWORD = "violet lantern harbour 42"
FORMAT = logging.Formatter("%(name)s %(levelname)s %(message)s")


class Server:
    """The app behind Werkzeug's own server on the loopback address, so that its access log
    is written as in development."""

    def __init__(self, port: int) -> None:
        self.port = port

    def send(self, method: str, path: str, body=None, token: str | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = json.dumps(body).encode() if body is not None else None
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        is_json = response.getheader("Content-Type", "").startswith("application/json")
        return response.status, (json.loads(data) if is_json and data else data)


@contextmanager
def serving(app) -> Iterator[Server]:
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(server.port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def written(caplog) -> list[str]:
    """Every captured record as a handler would write it, traceback included."""
    return [FORMAT.format(record) for record in caplog.records]


def assert_none_of(secrets: list[str], lines: list[str]) -> None:
    for secret in secrets:
        assert secret, "an empty secret proves nothing"
        for line in lines:
            assert secret not in line, (secret, line)


def test_the_journey_of_a_young_person_leaves_no_secret_in_the_logs(app, make, programme, caplog):
    caplog.set_level(logging.DEBUG)
    coordinator = make.caller("coordinator")
    enrolment = programme.enrol(coordinator)
    code = enrolment["activation_code"]
    email = "kai@example.org"
    secrets = [code, NEW_PASSWORD, NOTE, PASSWORD]

    with serving(app) as server:
        status, _ = server.send(
            "POST",
            "/api/v1/auth/activate",
            {"activation_code": code, "email": email, "password": NEW_PASSWORD},
        )
        assert status == 201
        status, _ = server.send("POST", "/api/v1/auth/login", {"email": email, "password": "x"})
        assert status == 401
        status, tokens = server.send(
            "POST", "/api/v1/auth/login", {"email": email, "password": NEW_PASSWORD}
        )
        assert status == 200
        access, refresh = tokens["access_token"], tokens["refresh_token"]
        status, body = server.send("GET", "/api/v1/me/calendar-token", token=access)
        feed_token = body["url"].rsplit("/", 1)[-1].removesuffix(".ics")
        status, _ = server.send("GET", f"/api/v1/calendar/{feed_token}.ics")
        assert status == 200
        status, _ = server.send("GET", f"/api/v1/calendar/{feed_token}.ics?key={feed_token}")
        assert status == 200
        status, _ = server.send(
            "POST",
            "/api/v1/me/check-ins",
            {"client_ref": "c1", "mood": 1, "feeling_safe": True, "needs_help": True, "note": NOTE},
            token=access,
        )
        assert status == 201
        status, _ = server.send("GET", "/api/v1/me/check-ins?note=chicken-shop", token=access)
        status, tokens = server.send("POST", "/api/v1/auth/refresh", token=refresh)
        assert status == 200
        secrets += [access, refresh, feed_token, tokens["access_token"], tokens["refresh_token"]]
        status, _ = server.send("POST", "/api/v1/auth/logout", token=tokens["access_token"])
        assert status == 204

    lines = written(caplog)
    access_log = [line for line in lines if line.startswith("werkzeug")]
    # The requests were logged (so that their absence of secrets means something) ...
    assert any("/api/v1/auth/activate" in line for line in access_log), lines
    assert any(f"/api/v1/calendar/{REDACTED}" in line for line in access_log), lines
    assert any(f"?key={REDACTED}" in line for line in access_log), lines
    # ... and none of them, nor anything else logged, holds a secret.
    assert_none_of(secrets + ["chicken-shop"], lines)


@pytest.fixture
def failing_app(build_app):
    """An app with routes that fail the ways that put request data into an error log."""
    app = build_app()

    @app.post("/api/v1/fail/body")
    def fail_with_the_body():
        raise RuntimeError(f"could not handle {request.get_json()!r}")

    @app.post("/api/v1/fail/database")
    def fail_in_the_database():
        body = request.get_json()
        # A statement that cannot run, with the note as one of its values.
        db_session().execute(text("SELECT :note, :missing"), {"note": body["note"]})

    @app.post("/api/v1/fail/value")
    def fail_on_a_value():
        body = request.get_json()
        refused = Exception(f'invalid input syntax for type uuid: "{body["note"]}"')
        raise DataError("INSERT INTO goals VALUES (%(note)s)", {"note": body["note"]}, refused)

    return app


def test_a_refused_value_is_logged_without_the_value(failing_app, caplog):
    caplog.set_level(logging.DEBUG)
    response = failing_app.test_client().post("/api/v1/fail/value", json={"note": NOTE})
    assert response.status_code == 422
    assert any("refused a value" in line for line in written(caplog))
    assert_none_of([NOTE], written(caplog))


def test_a_server_error_logs_its_traceback_without_the_request(failing_app, caplog):
    caplog.set_level(logging.DEBUG)
    client = failing_app.test_client()
    body = {"email": "kai@example.org", "password": NEW_PASSWORD, "note": NOTE}
    for path in ("/api/v1/fail/body", "/api/v1/fail/database"):
        response = client.post(path, json=body, headers={"Authorization": "Bearer eyJa.eyJb.c"})
        assert response.status_code == 500, path

    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 2
    assert all(record.exc_info and "Traceback" in FORMAT.format(record) for record in errors)
    assert_none_of([NEW_PASSWORD, NOTE, "eyJa.eyJb.c"], written(caplog))


def test_a_record_is_cleaned_however_it_is_logged(caplog):
    caplog.set_level(logging.INFO)
    log = logging.getLogger("youthapp.anything")
    log.info("GET /api/v1/calendar/%s.ics?token=%s", "k3y", "k3y")
    log.info("body %s", {"password": "pw-1", "refresh_token": "rt-1", "staff_notes": "sn-1"})
    log.warning('{"activation_code": "AC-1", "note": "n \\" 1", "mood": 3}')
    log.error("Authorization: Bearer %s", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl")
    try:
        raise ValueError("rejected {'location': {'lat': 51.5, 'lon': -0.05}, 'reason': 'r-1'}")
    except ValueError:
        log.exception("failed")
    lines = written(caplog)
    assert_none_of(["k3y", "pw-1", "rt-1", "sn-1", "AC-1", "n \\", "51.5", "r-1", "eyJ"], lines)
    assert '"mood": 3' in lines[2]  # what is not secret stays readable


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("GET /api/v1/me/calendar-token HTTP/1.1", "/api/v1/me/calendar-token"),
        ("the password is wrong", "the password is wrong"),
        ("GET /api/v1/young-people?page=2", "GET /api/v1/young-people?page="),
    ],
)
def test_what_is_not_secret_is_left_alone(line, kept):
    assert kept in redact(line)
