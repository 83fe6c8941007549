"""Every staff read of a young person's record is audited: walk every GET in the OpenAPI
document as a mentor and as a coordinator, and check that each answer about the young
person left its audit rows (one for a single record, one per item for a list)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import book
from youthapp.models import AuditEvent

# Not about a young person's record, or not a staff read (a young person's own /me).
NOT_A_CASE_READ = ("/healthz", "/readyz", "/api/v1/content/", "/api/v1/me", "/api/v1/users")
NOT_A_CASE_READ += ("/api/v1/audit", "/api/v1/reports/", "/api/v1/calendar/", "/api/v1/teams")


@pytest.fixture
def case(as_role, programme):
    coordinator = as_role("coordinator")
    mentor = as_role("mentor", specialty="housing")
    referral = programme.refer()
    enrolment = coordinator.post(
        f"/api/v1/referrals/{referral['id']}/decision", json={"decision": "accept"}
    ).get_json()
    person_id = enrolment["young_person_id"]
    programme.assign(coordinator, person_id, mentor)
    young_person = programme.activate(enrolment)
    goal = mentor.post(
        f"/api/v1/young-people/{person_id}/plan/goals",
        json={"domain": "housing", "title": "Flat", "description": ""},
    ).get_json()
    step = mentor.post(f"/api/v1/goals/{goal['id']}/steps", json={"title": "Form"}).get_json()
    starts = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    appointment = book(mentor, person_id, starts)
    young_person.post(
        "/api/v1/me/check-ins",
        json={"client_ref": "a", "mood": 2, "feeling_safe": True, "needs_help": True},
    )
    alert = coordinator.get("/api/v1/alerts").get_json()[0]
    ids = {
        "young_person_id": person_id,
        "referral_id": referral["id"],
        "goal_id": goal["id"],
        "step_id": step["id"],
        "appointment_id": appointment["id"],
        "alert_id": alert["id"],
    }
    return coordinator, mentor, person_id, ids


def case_reads(client) -> list[str]:
    spec = client.get("/api/v1/openapi.json").get_json()
    return [
        path
        for path, item in spec["paths"].items()
        if "get" in item and not path.startswith(NOT_A_CASE_READ)
    ]


def audited(db, person_id: str) -> int:
    db.rollback()
    return db.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.young_person_id == uuid.UUID(person_id))
    )


@pytest.mark.parametrize("role", ["coordinator", "mentor", "lead"])
def test_every_staff_read_about_a_young_person_leaves_its_audit_rows(
    case, client, db, role, as_role
):
    coordinator, mentor, person_id, ids = case
    caller = {"coordinator": coordinator, "mentor": mentor}.get(role) or as_role(role)
    paths = case_reads(client)
    assert "/api/v1/young-people/{young_person_id}/plan" in paths and len(paths) >= 15
    checked = []
    for path in paths:
        url = path.format(**ids)
        if path == "/api/v1/referrals/{referral_id}" and role == "mentor":
            continue  # not a mentor's route (403, nothing read)
        before = audited(db, person_id)
        response = caller.get(url, query_string={"page_size": 100})
        if response.status_code == 403:
            continue
        assert response.status_code == 200, (path, response.get_json())
        body = response.get_json()
        about_them = (
            [item for item in body if _about(item, person_id, ids)]
            if isinstance(body, list)
            else [body]
        )
        rows = audited(db, person_id) - before
        if "{" in path:
            assert rows == 1, (path, rows)
        else:
            assert rows == len(about_them) >= 1, (path, rows, len(about_them))
        checked.append(path)
    assert len(checked) >= 12


def _about(item: dict, person_id: str, ids: dict[str, str]) -> bool:
    return person_id in (item.get("young_person_id"), item.get("id"))
