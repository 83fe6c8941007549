"""Round trips and lost connections: the app's most read answer costs few waits on the
database, and a connection that died (the server restarted, its backend was terminated)
costs no failed request: pooled connections are not pinged, but a request that lost its
connection before it tried to commit anything runs again once. After a commit was tried
it is a 503, and the phone's retry settles it."""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select, text

from tests.api.test_plans import add_goal, add_step
from tests.conftest import Caller
from youthapp.db import WriteInReadOnlySession, make_engine, make_session_factory, read_only_engine
from youthapp.models import CheckIn, Message, Team

CHECK_INS = "/api/v1/me/check-ins"


@pytest.fixture
def setting(as_role, programme):
    coordinator = as_role("coordinator")
    mentor = as_role("mentor", specialty="housing")
    person_id, young_person = programme.young_person(coordinator)
    programme.assign(coordinator, person_id, mentor)
    return mentor, person_id, young_person


@pytest.fixture
def connection_dies(app):
    """`with connection_dies(before_statement=n):` the app's connection is closed under it
    just before its n-th statement (1 is the first), once, as a server restart would;
    `after_a_commit=True`: before the first statement after a commit."""
    engine = app.extensions["youthapp"].engine

    @contextmanager
    def dying(*, before_statement: int | None = None, after_a_commit: bool = False):
        seen, commits = [], []

        def close_under(conn, _cursor, statement, _parameters, _context, _many):
            seen.append(statement)
            due = len(commits) == 1 if after_a_commit else len(seen) == before_statement
            if due and not getattr(close_under, "done", False):
                close_under.done = True
                conn.connection.dbapi_connection.close()

        def committed(_conn):
            commits.append(True)

        event.listen(engine, "before_cursor_execute", close_under)
        event.listen(engine, "commit", committed)
        try:
            yield seen
        finally:
            event.remove(engine, "before_cursor_execute", close_under)
            event.remove(engine, "commit", committed)

    return dying


def check_in(young_person: Caller, ref: str):
    body = {"client_ref": ref, "mood": 3, "feeling_safe": True, "needs_help": False}
    return young_person.post(CHECK_INS, json=body)


def check_ins_stored(db, ref: str) -> int:
    db.rollback()  # a fresh snapshot
    return db.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.client_ref == ref))


def messages_stored(db, young_person_id: str) -> int:
    db.rollback()
    return db.scalar(
        select(func.count())
        .select_from(Message)
        .where(Message.young_person_id == uuid.UUID(young_person_id))
    )


def test_a_plan_read_costs_at_most_four_round_trips(setting, count_round_trips):
    mentor, person_id, young_person = setting
    for g in range(10):
        goal = add_goal(mentor, person_id, title=f"Goal {g}")
        for s in range(5):
            add_step(mentor, goal["id"], f"Step {s}")
    young_person.get("/api/v1/me/plan")  # a pooled connection, as in service
    with count_round_trips() as trips:
        response = young_person.get("/api/v1/me/plan")
    assert response.status_code == 200
    assert sum(len(goal["steps"]) for goal in response.get_json()["goals"]) == 50
    # The caller and sign-in, the plan's version, the goals, the steps: no ping, no
    # BEGIN, no ROLLBACK.
    assert trips() <= 4
    with count_round_trips() as trips:
        unchanged = young_person.get(
            "/api/v1/me/plan", headers={"If-None-Match": response.headers["ETag"]}
        )
    assert unchanged.status_code == 304
    assert trips() <= 2


def test_a_connection_lost_before_the_first_statement_costs_no_failed_read(
    setting, connection_dies
):
    mentor, person_id, young_person = setting
    add_goal(mentor, person_id, title="Somewhere safe")
    with connection_dies(before_statement=1) as statements:
        response = young_person.get("/api/v1/me/plan")
    assert response.status_code == 200, response.get_json()
    assert [goal["title"] for goal in response.get_json()["goals"]] == ["Somewhere safe"]
    assert statements[0] == statements[1], "the request ran again from its first statement"


def test_a_check_in_whose_first_statement_lost_its_connection_is_saved_once(
    setting, connection_dies, db
):
    *_, young_person = setting
    with connection_dies(before_statement=1):
        response = check_in(young_person, "lost-at-first")
    assert response.status_code == 201, response.get_json()
    assert check_ins_stored(db, "lost-at-first") == 1
    assert check_in(young_person, "lost-at-first").status_code == 200  # a retry: the same one
    assert check_ins_stored(db, "lost-at-first") == 1


def test_a_connection_lost_mid_transaction_runs_the_check_in_again_once(
    setting, connection_dies, db
):
    *_, young_person = setting
    with connection_dies(before_statement=3) as statements:
        response = check_in(young_person, "lost-midway")
    assert response.status_code == 201, response.get_json()
    assert len(statements) > 3, "run again: its transaction died with the connection"
    assert check_ins_stored(db, "lost-midway") == 1


def test_a_connection_lost_after_a_commit_is_a_503_and_the_retry_settles_it(
    setting, connection_dies, db
):
    """A keyed message commits its claim on the key first: after that nothing is run
    again, the answer is 503, nothing is half-written, and the phone's retry with the
    same key makes the message once."""
    mentor, person_id, _ = setting
    url = f"/api/v1/young-people/{person_id}/messages"
    key = {"Idempotency-Key": "lost-after-claim"}
    with connection_dies(after_a_commit=True):
        response = mentor.post(url, json={"body": "Are you safe?"}, headers=key)
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert messages_stored(db, person_id) == 0
    retried = mentor.post(url, json={"body": "Are you safe?"}, headers=key)
    assert retried.status_code == 201, retried.get_json()
    assert mentor.post(url, json={"body": "Are you safe?"}, headers=key).status_code == 201
    assert messages_stored(db, person_id) == 1


def test_backends_terminated_under_the_app_cost_no_failed_request(setting, app, db):
    """The real fault on PostgreSQL: every backend of the app's pool is terminated, as a
    restart does, and the next requests all answer."""
    engine = app.extensions["youthapp"].engine
    if engine.dialect.name != "postgresql":
        pytest.skip("backends are a PostgreSQL matter")
    mentor, person_id, young_person = setting
    add_goal(mentor, person_id, title="Somewhere safe")
    assert young_person.get("/api/v1/me/plan").status_code == 200
    assert engine.pool.checkedin() >= 1
    db.commit()
    terminated = db.execute(
        text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        )
    ).scalar_one()
    db.commit()
    assert terminated >= 1
    answers = [young_person.get("/api/v1/me/plan").status_code for _ in range(3)]
    answers += [check_in(young_person, f"after-restart-{n}").status_code for n in range(3)]
    answers.append(mentor.get(f"/api/v1/young-people/{person_id}/plan").status_code)
    assert answers == [200, 200, 200, 201, 201, 201, 200]


def test_a_read_only_session_refuses_to_write(database_url, db):
    engine = make_engine(database_url)
    try:
        with make_session_factory(read_only_engine(engine))() as session:
            assert session.scalar(select(func.count()).select_from(Team)) == 1
            session.add(Team(name="Written by mistake"))
            with pytest.raises(WriteInReadOnlySession):
                session.flush()
    finally:
        engine.dispose()
    assert db.scalar(select(func.count()).select_from(Team).where(Team.name.like("Written%"))) == 0
