"""Fixtures the whole suite leans on: an app per database, clients signed in as each role,
factories, the scheduler's context, and a query counter."""

from __future__ import annotations

import itertools
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, text

from api import create_app
from scheduler.jobs import SchedulerContext
from youthapp import migrations
from youthapp.clock import utcnow
from youthapp.config import settings_for_tests
from youthapp.db import Base, make_engine, make_session_factory
from youthapp.models import DEFAULT_TEAM_ID, DEFAULT_TEAM_NAME, Team, User
from youthapp.notify.senders import RecordingSender
from youthapp.services import accounts

PASSWORD = "a long test passphrase"
_sequence = itertools.count(1)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="Database to run against; postgres uses TEST_DATABASE_URL.",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"youthapp database: {config.getoption('--db')}"


@pytest.fixture(scope="session")
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.config.getoption("--db") == "postgres":
        url = os.environ.get("TEST_DATABASE_URL")
        if not url:
            pytest.exit("--db postgres needs TEST_DATABASE_URL", returncode=2)
        engine = make_engine(url)
        with engine.begin() as connection:  # start from an empty schema every run
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app(settings_for_tests(database_url, tmp_path_factory.mktemp("instance")))
    engine = app.extensions["youthapp"].engine
    migrations.upgrade(engine)
    yield app
    engine.dispose()


@pytest.fixture(autouse=True)
def _empty_tables(app: Flask) -> Iterator[None]:
    yield
    engine = app.extensions["youthapp"].engine
    tables = list(reversed(Base.metadata.sorted_tables))
    # DELETE beats TRUNCATE on PostgreSQL for the handful of rows a test leaves.
    with engine.begin() as connection:
        for table in tables:
            connection.execute(table.delete())
        restore_default_team(connection)


def restore_default_team(connection) -> None:
    """The default team, as the migration makes it: every test starts in a programme that
    never made teams."""
    connection.execute(
        Team.__table__.insert().values(
            id=DEFAULT_TEAM_ID, name=DEFAULT_TEAM_NAME, created_at=utcnow(), updated_at=utcnow()
        )
    )


@pytest.fixture
def build_app(tmp_path):
    """`build_app(**setting_overrides)`: a separate app from the tests' settings (on its
    own SQLite file unless given a `database_url`)."""
    engines = []

    def build(database_url: str | None = None, **overrides: Any) -> Flask:
        number = len(engines)
        url = database_url or f"sqlite:///{tmp_path / f'separate{number}.sqlite3'}"
        settings = settings_for_tests(url, tmp_path / f"instance{number}")
        app = create_app(settings.with_overrides(**overrides))
        engines.append(app.extensions["youthapp"].engine)
        return app

    yield build
    for engine in engines:
        engine.dispose()


@pytest.fixture
def sender() -> RecordingSender:
    """A push sender that records what it was given."""
    return RecordingSender()


@pytest.fixture
def context(app: Flask, sender: RecordingSender) -> SchedulerContext:
    """The scheduler's context on the tests' database, for running sweeps with a `now`."""
    runtime = app.extensions["youthapp"]
    return SchedulerContext(
        settings=runtime.settings,
        engine=runtime.engine,
        session_factory=runtime.session_factory,
        senders=[sender],
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def db(database_url: str, app: Flask):
    """A session on the app's database, for arranging data and checking what was stored.

    On SQLite it does not take the write lock when it reads, so a test may read through it
    and then call the API without committing first.
    """
    engine = make_engine(database_url, sqlite_write_lock_first=False)
    with make_session_factory(engine)() as session:
        yield session
    engine.dispose()


class Caller:
    """A test client that sends one user's bearer token with every request."""

    def __init__(self, client: FlaskClient, user: User, tokens: dict[str, Any]) -> None:
        self.client, self.user, self.tokens = client, user, tokens

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}

    def _send(self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any):
        return self.client.open(
            path, method=method, headers={**self.headers, **(headers or {})}, **kwargs
        )

    def get(self, path: str, **kwargs: Any):
        return self._send("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any):
        return self._send("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any):
        return self._send("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any):
        return self._send("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any):
        return self._send("DELETE", path, **kwargs)


ROLE_DETAILS = {
    "mentor": {"specialty": "housing"},
    "referrer": {"referrer_type": "teacher", "organisation": "Hackney Academy"},
}


@dataclass
class Factory:
    app: Flask
    client: FlaskClient

    def staff(self, role: str = "coordinator", *, password: str = PASSWORD, **details: Any) -> User:
        n = next(_sequence)
        data = {
            "email": f"{role}{n}@example.org",
            "password": password,
            "display_name": f"{role.title()} {n}",
            "role": role,
            **ROLE_DETAILS.get(role, {}),
            **details,
        }
        runtime = self.app.extensions["youthapp"]
        with runtime.session_factory.begin() as session:
            return accounts.create_staff_user(session, runtime.hashing, None, data)

    def login(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        response = self.client.post(
            "/api/v1/auth/login", json={"email": email, "password": password}
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def caller(self, role: str = "coordinator", **details: Any) -> Caller:
        user = self.staff(role, **details)
        return Caller(self.client, user, self.login(user.email))


@pytest.fixture
def make(app: Flask, client: FlaskClient) -> Factory:
    return Factory(app, client)


@pytest.fixture
def as_role(make: Factory):
    """`as_role("mentor")` is a client signed in as a new user of that role."""
    return make.caller


@pytest.fixture
def admin(as_role) -> Caller:
    return as_role("admin")


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask):
    """`with count_queries() as counted:` ... `assert counted.count <= N`."""
    engine = app.extensions["youthapp"].engine

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()

        def record(conn, cursor, statement, parameters, context, executemany):
            if (
                not statement.lstrip()
                .upper()
                .startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"))
            ):
                counter.statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting


_FRONTEND_ROUND_TRIP = re.compile(r"^(?:\S+\t)?F\t\d+\t(?:Query|Sync)\b", re.MULTILINE)


@pytest.fixture
def count_round_trips(app: Flask, tmp_path):
    """`with count_round_trips() as trips:` ... `assert trips() <= N`: the times the app
    waited on PostgreSQL (each simple Query and each Sync it sent, BEGIN and ROLLBACK
    included, read from libpq's own trace). PostgreSQL only; SQLite has no round trips."""
    engine = app.extensions["youthapp"].engine
    if engine.dialect.name != "postgresql":
        pytest.skip("round trips are a PostgreSQL measure")
    trace_path = tmp_path / "libpq.trace"

    @contextmanager
    def counting() -> Iterator[Any]:
        with open(trace_path, "w") as trace:

            def traced(dbapi_connection, _record, _proxy):
                dbapi_connection.pgconn.trace(trace.fileno())

            def untraced(dbapi_connection, _record):
                dbapi_connection.pgconn.untrace()

            event.listen(engine, "checkout", traced)
            event.listen(engine, "checkin", untraced)
            try:
                yield lambda: len(_FRONTEND_ROUND_TRIP.findall(trace_path.read_text()))
            finally:
                event.remove(engine, "checkout", traced)
                event.remove(engine, "checkin", untraced)

    return counting


def referral_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "first_name": "Jordan",
        "last_name": "Smith",
        "date_of_birth": "2010-05-17",
        "borough": "Hackney",
        "phone": "07700 900123",
        "needs": ["housing", "mental_health"],
        "reason": "Seen with older boys linked to a local gang; missing school.",
        "risk_notes": "Older brother in custody; avoid home visits after dark.",
        "consent_obtained": True,
    }
    return {**body, **overrides}


@dataclass
class Programme:
    """Builds the programme's people through the API, as the journeys do."""

    make: Factory

    def refer(self, referrer: Caller | None = None, **overrides: Any) -> dict[str, Any]:
        referrer = referrer or self.make.caller("referrer")
        response = referrer.post("/api/v1/referrals", json=referral_body(**overrides))
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def enrol(self, coordinator: Caller, **overrides: Any) -> dict[str, Any]:
        """A referral accepted: {young_person_id, activation_code, ...}."""
        referral = self.refer(**overrides)
        response = coordinator.post(
            f"/api/v1/referrals/{referral['id']}/decision",
            json={"decision": "accept", "reason": "Meets criteria"},
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def activate(self, enrolment: dict[str, Any], email: str | None = None) -> Caller:
        email = email or f"young{next(_sequence)}@example.org"
        response = self.make.client.post(
            "/api/v1/auth/activate",
            json={
                "activation_code": enrolment["activation_code"],
                "email": email,
                "password": PASSWORD,
            },
        )
        assert response.status_code == 201, response.get_json()
        tokens = response.get_json()
        with self.make.app.extensions["youthapp"].session_factory() as session:
            user = session.get(User, uuid.UUID(tokens["user"]["id"]))
        return Caller(self.make.client, user, tokens)

    def young_person(self, coordinator: Caller) -> tuple[str, Caller]:
        """An enrolled, activated young person: (young_person_id, their client)."""
        enrolment = self.enrol(coordinator)
        return enrolment["young_person_id"], self.activate(enrolment)

    def assign(self, coordinator: Caller, young_person_id: str, mentor: Caller) -> dict[str, Any]:
        response = coordinator.post(
            f"/api/v1/young-people/{young_person_id}/assignments",
            json={"mentor_id": str(mentor.user.id)},
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()


@pytest.fixture
def programme(make: Factory) -> Programme:
    return Programme(make)
