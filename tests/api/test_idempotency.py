"""Idempotency-Key on creating POSTs: a retried request never creates a second record."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from tests.conftest import referral_body
from youthapp.models import IdempotencyKey, Referral
from youthapp.services.idempotency import request_hash

REFERRALS = "/api/v1/referrals"


def test_the_same_key_and_body_replay_the_first_answer(as_role, db):
    referrer = as_role("referrer")
    first = referrer.post(REFERRALS, json=referral_body(), headers={"Idempotency-Key": "k-1"})
    again = referrer.post(REFERRALS, json=referral_body(), headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert db.scalar(select(func.count()).select_from(Referral)) == 1
    other = referrer.post(REFERRALS, json=referral_body(), headers={"Idempotency-Key": "k-2"})
    assert other.get_json()["id"] != first.get_json()["id"]


def test_the_same_key_with_another_body_is_422(as_role, db):
    referrer = as_role("referrer")
    referrer.post(REFERRALS, json=referral_body(), headers={"Idempotency-Key": "k"})
    changed = referrer.post(
        REFERRALS, json=referral_body(first_name="Sam"), headers={"Idempotency-Key": "k"}
    )
    assert changed.status_code == 422
    assert changed.get_json()["code"] == 422
    assert db.scalar(select(func.count()).select_from(Referral)) == 1


def test_a_retry_while_the_first_is_running_is_409(as_role, db):
    referrer = as_role("referrer")
    first = referrer.post(REFERRALS, json=referral_body(), headers={"Idempotency-Key": "slow"})
    # As if still running: no answer yet, and its lease not run out.
    db.execute(
        update(IdempotencyKey).values(
            response_status=None, locked_until=datetime.now(UTC) + timedelta(seconds=50)
        )
    )
    db.commit()
    retry = referrer.post(REFERRALS, json=referral_body(), headers={"Idempotency-Key": "slow"})
    assert retry.status_code == 409
    assert first.status_code == 201


def test_a_key_whose_request_died_is_free_again_when_its_lease_runs_out(as_role, db):
    """The worker or the database went away mid-request: nothing of it was committed but
    the claim. Within a minute the key runs afresh (and makes one record, not two)."""
    referrer = as_role("referrer")
    body = json.dumps(referral_body())
    db.add(
        IdempotencyKey(
            user_id=referrer.user.id,
            path=REFERRALS,
            key="died",
            request_hash=request_hash("POST", body.encode()),
            created_at=datetime.now(UTC) - timedelta(minutes=2),
            expires_at=datetime.now(UTC) + timedelta(hours=23),
            locked_until=datetime.now(UTC) - timedelta(seconds=1),
        )
    )
    db.commit()
    keyed = {"Idempotency-Key": "died", "Content-Type": "application/json"}
    retry = referrer.post(REFERRALS, data=body, headers=keyed)
    assert retry.status_code == 201
    again = referrer.post(REFERRALS, data=body, headers=keyed)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == retry.get_json()
    assert db.scalar(select(func.count()).select_from(Referral)) == 1


def test_keys_belong_to_one_user_and_one_path(as_role, db):
    one, two = as_role("referrer"), as_role("referrer")
    a = one.post(REFERRALS, json=referral_body(), headers={"Idempotency-Key": "same"})
    b = two.post(REFERRALS, json=referral_body(), headers={"Idempotency-Key": "same"})
    assert a.get_json()["id"] != b.get_json()["id"]
    assert db.scalar(select(func.count()).select_from(Referral)) == 2


def test_keys_are_kept_a_day_then_forgotten(as_role, db):
    referrer = as_role("referrer")
    first = referrer.post(REFERRALS, json=referral_body(), headers={"Idempotency-Key": "old"})
    db.execute(update(IdempotencyKey).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    db.commit()
    later = referrer.post(REFERRALS, json=referral_body(), headers={"Idempotency-Key": "old"})
    assert later.status_code == 201
    assert later.get_json()["id"] != first.get_json()["id"]
    kept = db.scalar(select(IdempotencyKey.expires_at))
    assert kept - datetime.now(UTC) > timedelta(hours=23)


def test_a_refused_first_try_is_not_replayed_when_it_may_succeed_later(as_role, programme):
    coordinator, mentor = as_role("coordinator"), as_role("mentor")
    person_id = programme.enrol(coordinator)["young_person_id"]
    programme.assign(coordinator, person_id, mentor)
    body = {
        "young_person_id": person_id,
        "mentor_id": str(mentor.user.id),
        "mode": "phone",
        "starts_at": (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0).isoformat(),
        "duration_minutes": 30,
    }
    blocker = mentor.post("/api/v1/appointments", json=body).get_json()
    clash = mentor.post("/api/v1/appointments", json=body, headers={"Idempotency-Key": "b"})
    assert clash.status_code == 409
    mentor.post(f"/api/v1/appointments/{blocker['id']}/cancel", json={"reason": "moved"})
    retry = mentor.post("/api/v1/appointments", json=body, headers={"Idempotency-Key": "b"})
    assert retry.status_code == 201


def test_the_document_declares_the_key_on_exactly_the_routes_that_honour_it(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    declared = {
        path
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method == "post"
        and any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", []))
    }
    honoured = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        post = getattr(getattr(view, "view_class", None), "post", None)
        if post is not None and getattr(post, "takes_idempotency_key", False):
            honoured.add(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
    assert declared == honoured
    assert "/api/v1/referrals" in declared and "/api/v1/appointments" in declared
    assert not {p for p in declared if p.startswith("/api/v1/auth/")}
    assert "/api/v1/me/check-ins" not in declared  # idempotent on client_ref instead
