"""Idempotency-Key under attack and under a failing database: a replay passes the same
checks as a first request and holds no secret, erasure takes stored answers with it, and a
database lost mid-request neither poisons the key nor half-writes nor doubles anything.

On PostgreSQL the database is really cut off: the server ends the backend of the request's
own connection (pg_terminate_backend) at a chosen statement. On SQLite the same statement
fails as a lost database would."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError

from tests.conftest import PASSWORD, Caller, referral_body
from youthapp.db import make_engine
from youthapp.models import Appointment, IdempotencyKey, User
from youthapp.services import idempotency

KEY = {"Idempotency-Key": "phone-retry-1"}


@pytest.fixture
def cut_database_at(app, database_url):
    """`with cut_database_at(r"INSERT INTO appointments"):` loses the database the first
    time the request's connection runs a statement matching the pattern."""
    engine = app.extensions["youthapp"].engine

    @contextmanager
    def cutting(pattern: str) -> Iterator[list[str]]:
        cut: list[str] = []

        def before(conn, cursor, statement, parameters, context, executemany):
            if cut or not re.search(pattern, statement):
                return
            cut.append(statement)
            if conn.dialect.name == "postgresql":
                pid = conn.connection.driver_connection.info.backend_pid
                killer = make_engine(database_url)
                with killer.begin() as other:
                    other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                killer.dispose()
            else:
                raise OperationalError(statement, parameters, sqlite3.OperationalError("gone"))

        event.listen(engine, "before_cursor_execute", before)
        try:
            yield cut
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return cutting


@pytest.fixture
def case(as_role, programme):
    coordinator, mentor = as_role("coordinator"), as_role("mentor")
    person_id, young_person = programme.young_person(coordinator)
    assignment = programme.assign(coordinator, person_id, mentor)
    return coordinator, mentor, person_id, young_person, assignment


def booking(person_id: str, mentor: Caller) -> dict:
    starts = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    return {
        "young_person_id": person_id,
        "mentor_id": str(mentor.user.id),
        "starts_at": starts.isoformat(),
        "duration_minutes": 60,
        "mode": "in_person",
        "staff_notes": "Worried about his brother",
    }


def appointments(db) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(Appointment))


class TestALostDatabase:
    def test_lost_mid_request_is_503_and_the_retry_runs_afresh(self, case, cut_database_at, db):
        _, mentor, person_id, _, _ = case
        with cut_database_at(r"^INSERT INTO appointments") as cut:
            lost = mentor.post("/api/v1/appointments", json=booking(person_id, mentor), headers=KEY)
        assert cut and lost.status_code == 503
        assert int(lost.headers["Retry-After"]) > 0
        assert lost.get_json()["code"] == 503
        assert appointments(db) == 0
        retry = mentor.post("/api/v1/appointments", json=booking(person_id, mentor), headers=KEY)
        assert retry.status_code == 201, retry.get_json()
        again = mentor.post("/api/v1/appointments", json=booking(person_id, mentor), headers=KEY)
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert again.get_json()["id"] == retry.get_json()["id"]
        assert appointments(db) == 1

    def test_lost_while_storing_the_answer_leaves_nothing_half_written(
        self, case, cut_database_at, db
    ):
        _, mentor, person_id, _, _ = case
        with cut_database_at(r"^UPDATE idempotency_keys SET response_status") as cut:
            lost = mentor.post("/api/v1/appointments", json=booking(person_id, mentor), headers=KEY)
        assert cut and lost.status_code == 503 and "Retry-After" in lost.headers
        assert appointments(db) == 0  # the booking and its answer are one transaction
        retry = mentor.post("/api/v1/appointments", json=booking(person_id, mentor), headers=KEY)
        assert retry.status_code == 201
        assert appointments(db) == 1

    def test_a_claim_the_database_could_not_free_is_free_within_a_minute(
        self, case, cut_database_at, monkeypatch, db
    ):
        """The database stays away: the claim cannot even be given back. The answer is
        still 503 (not 500), and the claim's lease frees the key a minute later."""
        _, mentor, person_id, _, _ = case

        def still_down(session, claim_id):
            raise OperationalError("DELETE", {}, sqlite3.OperationalError("still gone"))

        monkeypatch.setattr(idempotency, "abandon", still_down)
        with cut_database_at(r"^INSERT INTO appointments"):
            lost = mentor.post("/api/v1/appointments", json=booking(person_id, mentor), headers=KEY)
        assert lost.status_code == 503 and "Retry-After" in lost.headers
        monkeypatch.undo()
        db.rollback()
        claim = db.scalar(select(IdempotencyKey))
        assert claim.response_status is None
        assert claim.locked_until - datetime.now(UTC) <= timedelta(minutes=1)
        soon = mentor.post("/api/v1/appointments", json=booking(person_id, mentor), headers=KEY)
        assert soon.status_code == 409  # within the lease: the first might still be running
        claim.locked_until = datetime.now(UTC) - timedelta(seconds=1)  # a minute later
        db.commit()
        later = mentor.post("/api/v1/appointments", json=booking(person_id, mentor), headers=KEY)
        assert later.status_code == 201
        assert appointments(db) == 1


class TestAReplayPassesTheSameChecks:
    def test_after_logout_the_token_gets_no_replay(self, as_role):
        referrer = as_role("referrer")
        first = referrer.post("/api/v1/referrals", json=referral_body(), headers=KEY)
        assert first.status_code == 201
        referrer.post("/api/v1/auth/logout")
        replay = referrer.post("/api/v1/referrals", json=referral_body(), headers=KEY)
        assert replay.status_code == 401 and "Jordan" not in replay.get_data(as_text=True)

    def test_a_deactivated_account_gets_no_replay(self, as_role, admin):
        referrer = as_role("referrer")
        referrer.post("/api/v1/referrals", json=referral_body(), headers=KEY)
        admin.patch(f"/api/v1/users/{referrer.user.id}", json={"is_active": False})
        assert (
            referrer.post("/api/v1/referrals", json=referral_body(), headers=KEY).status_code == 401
        )

    def test_an_unassigned_mentor_gets_no_replay_of_a_booking(self, case):
        coordinator, mentor, person_id, _, assignment = case
        first = mentor.post("/api/v1/appointments", json=booking(person_id, mentor), headers=KEY)
        assert first.status_code == 201
        coordinator.delete(f"/api/v1/young-people/{person_id}/assignments/{assignment['id']}")
        replay = mentor.post("/api/v1/appointments", json=booking(person_id, mentor), headers=KEY)
        assert replay.status_code == 404
        assert "brother" not in replay.get_data(as_text=True)

    def test_a_replayed_enrolment_holds_no_activation_code(self, as_role, programme, db):
        coordinator = as_role("coordinator")
        referral = programme.refer()
        url = f"/api/v1/referrals/{referral['id']}/decision"
        decision = {"decision": "accept", "reason": "Meets criteria"}
        first = coordinator.post(url, json=decision, headers=KEY)
        assert first.status_code == 201 and first.get_json()["activation_code"]
        replay = coordinator.post(url, json=decision, headers=KEY)
        assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
        assert replay.get_json()["activation_code"] is None
        assert replay.get_json()["young_person_id"] == first.get_json()["young_person_id"]
        db.rollback()
        stored = db.scalar(select(IdempotencyKey.response_body))
        assert first.get_json()["activation_code"].encode() not in stored
        # The code itself still works: only the stored copy is gone.
        assert programme.activate(first.get_json()).user.young_person_id is not None

    def test_a_reissued_code_is_not_kept_for_a_replay(self, as_role, programme):
        coordinator = as_role("coordinator")
        enrolment = programme.enrol(coordinator)
        url = f"/api/v1/young-people/{enrolment['young_person_id']}/activation-code"
        first = coordinator.post(url, headers=KEY)
        replay = coordinator.post(url, headers=KEY)
        assert first.get_json()["activation_code"]
        assert replay.status_code == 201 and replay.get_json()["activation_code"] is None

    def test_erasure_takes_the_stored_answers_with_it(self, as_role, programme, db):
        coordinator = as_role("coordinator")
        referral = programme.refer(first_name="Tiberius")
        url = f"/api/v1/referrals/{referral['id']}/decision"
        decision = {"decision": "accept", "reason": "Meets criteria"}
        person_id = coordinator.post(url, json=decision, headers=KEY).get_json()["young_person_id"]
        coordinator.post(f"/api/v1/young-people/{person_id}/erasure", json={"reason": "Asked"})
        db.rollback()
        stored = db.scalars(select(IdempotencyKey.response_body)).all()
        assert not any(b"Tiberius" in (body or b"") for body in stored)
        replay = coordinator.post(url, json=decision, headers=KEY)
        assert "Tiberius" not in replay.get_data(as_text=True)


def test_a_signed_in_user_gets_their_sign_in_checked_before_a_replay(make, db):
    """The same, for a password reset: the old token is ended, and so is its replay."""
    user = make.staff("referrer")
    tokens = make.login(user.email, PASSWORD)
    caller = Caller(make.client, user, tokens)
    assert caller.post("/api/v1/referrals", json=referral_body(), headers=KEY).status_code == 201
    db.rollback()
    db.get(User, user.id).is_active = False
    db.commit()
    assert caller.post("/api/v1/referrals", json=referral_body(), headers=KEY).status_code == 401


def test_the_503_of_a_lost_database_is_finished_like_any_answer(case, cut_database_at):
    _, mentor, person_id, _, _ = case
    with cut_database_at(r"^UPDATE idempotency_keys SET response_status"):
        lost = mentor.post(
            "/api/v1/appointments",
            json=booking(person_id, mentor),
            headers={**KEY, "X-Request-ID": "lost-db-request-1"},
        )
    assert lost.status_code == 503
    assert lost.headers["X-Request-ID"] == "lost-db-request-1"
    assert lost.headers["X-Content-Type-Options"] == "nosniff"
