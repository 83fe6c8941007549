"""A young person's privacy rights through HTTP: their data, who looked, consent, erasure."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from youthapp.db import Base
from youthapp.models import Referral, User, YoungPerson
from youthapp.services import privacy

STAFF_SECRET = "Brother released on the 3rd"
RISK_SECRET = "Older brother in custody"


@pytest.fixture
def lived_in(as_role, programme):
    """A young person with a little of everything: plan, appointment, check-in, timer."""
    coordinator, mentor = as_role("coordinator"), as_role("mentor", specialty="housing")
    person_id, young_person = programme.young_person(coordinator)
    programme.assign(coordinator, person_id, mentor)
    goal = mentor.post(
        f"/api/v1/young-people/{person_id}/plan/goals",
        json={
            "domain": "housing",
            "title": "Find a flat",
            "description": "With the council",
            "staff_notes": STAFF_SECRET,
        },
    ).get_json()
    mentor.post(f"/api/v1/goals/{goal['id']}/steps", json={"title": "Form"})
    mentor.patch(
        f"/api/v1/goals/{goal['id']}",
        headers={"If-Match": "*"},
        json={"staff_notes": STAFF_SECRET + " (updated)"},
    )
    mentor.post(
        "/api/v1/appointments",
        json={
            "young_person_id": person_id,
            "mentor_id": str(mentor.user.id),
            "mode": "phone",
            "starts_at": (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0).isoformat(),
            "duration_minutes": 30,
            "staff_notes": STAFF_SECRET,
        },
    )
    young_person.post(
        "/api/v1/me/check-ins",
        json={
            "client_ref": "c1",
            "mood": 4,
            "feeling_safe": True,
            "needs_help": False,
            "note": "ok",
        },
    )
    young_person.post(
        "/api/v1/me/safety-timers",
        json={"expected_back_at": (datetime.now(UTC) + timedelta(hours=2)).isoformat()},
    )
    young_person.get("/api/v1/me/calendar-token")
    mentor.get(f"/api/v1/young-people/{person_id}")
    return coordinator, mentor, person_id, young_person


def test_the_export_holds_everything_the_young_person_sees_and_no_staff_field(lived_in):
    *_, young_person = lived_in
    response = young_person.get("/api/v1/me/export")
    assert response.status_code == 200
    export = response.get_json()
    text = response.get_data(as_text=True)
    assert STAFF_SECRET not in text and RISK_SECRET not in text
    assert "staff_notes" not in text and "risk_notes" not in text
    assert export["account"]["role"] == "young_person"
    assert export["young_person"]["first_name"] == "Jordan"
    assert export["referral"]["referrer_type"] == "teacher"
    assert [g["title"] for g in export["plan"]["goals"]] == ["Find a flat"]
    assert {h["action"] for h in export["plan_history"]} == {"created"}  # the notes edit is gone
    assert len(export["appointments"]) == 1 and len(export["check_ins"]) == 1
    assert len(export["safety_timers"]) == 1 and export["calendar_feed"]["active"] is True
    assert export["notifications"] and export["sign_ins"]
    assert export["assignments"][0]["mentor"]["specialty"] == "housing"
    assert any(entry["role"] == "mentor" for entry in export["access_log"])


def test_every_table_about_a_young_person_is_in_the_export_or_excluded_on_purpose(lived_in):
    *_, young_person = lived_in
    export = young_person.get("/api/v1/me/export").get_json()
    for table in Base.metadata.sorted_tables:
        columns = {column.name for column in table.columns}
        refers = "young_person_id" in columns or any(
            fk.column.table.name in ("users", "young_people") for fk in table.foreign_keys
        )
        if not refers and table.name not in ("users", "young_people"):
            continue
        assert table.name in privacy.EXPORT_COVERAGE, f"{table.name}: export it or say why not"
        section = privacy.EXPORT_COVERAGE[table.name]
        if not section.startswith("not exported"):
            assert section in export, f"{table.name} -> {section} missing from the export"


def test_the_access_log_shows_roles_and_times_but_not_names(lived_in):
    _, mentor, _, young_person = lived_in
    log = young_person.get("/api/v1/me/access-log").get_json()
    viewed = [e for e in log if e["action"] == "young_person.viewed"]
    assert viewed and viewed[0]["role"] == "mentor"
    assert "looked at" in viewed[0]["description"]
    assert "name" not in viewed[0]
    assert mentor.user.display_name not in str(log)
    assert mentor.get("/api/v1/me/access-log").status_code == 403


def test_withdrawing_sharing_cuts_that_specialty_off(lived_in):
    coordinator, mentor, person_id, young_person = lived_in
    assert young_person.get("/api/v1/me/consents").get_json() == {
        "review_due": False,
        "reporting": False,
        "sharing": {
            "mental_health": True,
            "substance_misuse": True,
            "housing": True,
            "employment": True,
        },
    }
    changed = young_person.put("/api/v1/me/consents", json={"sharing": {"housing": False}})
    assert changed.status_code == 200
    assert changed.get_json()["sharing"]["housing"] is False
    assert mentor.get(f"/api/v1/young-people/{person_id}").status_code == 404
    assert mentor.get(f"/api/v1/young-people/{person_id}/plan").status_code == 404
    record = coordinator.get(f"/api/v1/young-people/{person_id}").get_json()
    assert record["consents"]["sharing"]["housing"] is False
    coordinator.patch(
        f"/api/v1/young-people/{person_id}",
        json={"consents": {"sharing": {"housing": True}, "reporting": True}},
    )
    assert mentor.get(f"/api/v1/young-people/{person_id}").status_code == 200
    assert young_person.get("/api/v1/me/consents").get_json()["reporting"] is True
    assert (
        young_person.put("/api/v1/me/consents", json={"sharing": {"astrology": True}}).status_code
        == 422
    )


def test_consents_can_be_set_when_a_referral_is_accepted(as_role, programme):
    coordinator = as_role("coordinator")
    referral = programme.refer()
    accepted = coordinator.post(
        f"/api/v1/referrals/{referral['id']}/decision",
        json={
            "decision": "accept",
            "consents": {"reporting": True, "sharing": {"employment": False}},
        },
    )
    person = coordinator.get(f"/api/v1/young-people/{accepted.get_json()['young_person_id']}")
    assert person.get_json()["consents"] == {
        "review_due": False,
        "reporting": True,
        "sharing": {
            "mental_health": True,
            "substance_misuse": True,
            "housing": True,
            "employment": False,
        },
    }


def test_erasure_on_request_leaves_only_anonymous_facts(lived_in, db, admin, as_role):
    coordinator, mentor, person_id, young_person = lived_in
    assert (
        mentor.post(
            f"/api/v1/young-people/{person_id}/erasure", json={"reason": "asked"}
        ).status_code
        == 403
    )
    assert coordinator.post(f"/api/v1/young-people/{person_id}/erasure", json={}).status_code == 422
    erased = coordinator.post(
        f"/api/v1/young-people/{person_id}/erasure",
        json={"reason": "The young person asked for erasure"},
    )
    assert erased.status_code == 200
    assert young_person.get("/api/v1/me").status_code == 401
    assert coordinator.get(f"/api/v1/young-people/{person_id}").status_code == 404
    assert mentor.get(f"/api/v1/young-people/{person_id}").status_code == 404
    db.rollback()
    person = db.get(YoungPerson, uuid.UUID(person_id))
    assert (person.first_name, person.phone, person.erased_at is not None) == ("Erased", None, True)
    assert person.date_of_birth.month == person.date_of_birth.day == 1
    referral = db.scalar(select(Referral).where(Referral.young_person_id == person.id))
    assert referral.risk_notes is None and referral.reason == ""
    account = db.get(User, young_person.user.id)
    assert not account.is_active and "erased" in account.email
    for table in (
        "check_ins",
        "safety_timers",
        "plan_changes",
        "steps",
        "devices",
        "notifications",
        "calendar_feeds",
    ):
        column = "user_id" if table in ("devices", "notifications") else "young_person_id"
        value = account.id if column == "user_id" else person.id
        rows = db.scalar(
            select(func.count())
            .select_from(Base.metadata.tables[table])
            .where(Base.metadata.tables[table].c[column] == value)
        )
        assert rows == 0, table
    trail = admin.get(f"/api/v1/audit?young_person_id={person_id}&action=young_person.erased")
    assert trail.get_json()[0]["details"]["trigger"] == "request"


def test_records_are_erased_when_the_retention_period_after_exit_ends(as_role, programme, app, db):
    coordinator = as_role("coordinator")
    long_gone = programme.enrol(coordinator)["young_person_id"]
    recent = programme.enrol(coordinator)["young_person_id"]
    for person_id in (long_gone, recent):
        coordinator.patch(f"/api/v1/young-people/{person_id}", json={"status": "exited"})
    db.get(YoungPerson, uuid.UUID(long_gone)).exited_at = datetime.now(UTC) - timedelta(days=740)
    db.get(YoungPerson, uuid.UUID(recent)).exited_at = datetime.now(UTC) - timedelta(days=700)
    db.commit()
    with app.extensions["youthapp"].session_factory.begin() as session:
        assert privacy.erase_after_retention(session, now=datetime.now(UTC), months=24) == 1
    with app.extensions["youthapp"].session_factory.begin() as session:
        assert privacy.erase_after_retention(session, now=datetime.now(UTC), months=24) == 0
    db.rollback()
    assert db.get(YoungPerson, uuid.UUID(long_gone)).erased_at is not None
    assert db.get(YoungPerson, uuid.UUID(recent)).erased_at is None


def test_declined_referrals_are_anonymised_after_the_retention_period(as_role, programme, app, db):
    coordinator = as_role("coordinator")
    old = programme.refer()
    coordinator.post(
        f"/api/v1/referrals/{old['id']}/decision",
        json={"decision": "decline", "reason": "Out of area"},
    )
    fresh = programme.refer()
    db.get(Referral, uuid.UUID(old["id"])).decided_at = datetime.now(UTC) - timedelta(days=740)
    db.commit()
    with app.extensions["youthapp"].session_factory.begin() as session:
        assert privacy.erase_after_retention(session, now=datetime.now(UTC), months=24) == 1
    db.rollback()
    gone = db.get(Referral, uuid.UUID(old["id"]))
    assert (gone.first_name, gone.risk_notes, gone.reason) == ("Erased", None, "")
    assert gone.referrer_type == "teacher"  # the anonymous fact stays
    assert db.get(Referral, uuid.UUID(fresh["id"])).first_name == "Jordan"


def test_the_access_log_is_paginated_like_every_list(lived_in, count_queries):
    _, mentor, person_id, young_person = lived_in
    for _ in range(5):
        mentor.get(f"/api/v1/young-people/{person_id}")
    whole = young_person.get("/api/v1/me/access-log?page_size=100")
    total = json.loads(whole.headers["X-Pagination"])["total"]
    assert total == len(whole.get_json()) >= 6
    first = young_person.get("/api/v1/me/access-log?page_size=2")
    second = young_person.get("/api/v1/me/access-log?page_size=2&page=2")
    assert len(first.get_json()) == 2 and len(second.get_json()) == 2
    assert first.get_json() + second.get_json() == whole.get_json()[:4]
    assert json.loads(first.headers["X-Pagination"])["total"] == total
    assert young_person.get("/api/v1/me/access-log?page_size=101").status_code == 422
    with count_queries() as small:
        young_person.get("/api/v1/me/access-log?page_size=2")
    with count_queries() as large:
        young_person.get("/api/v1/me/access-log?page_size=100")
    assert small.count == large.count <= 4
