"""GET /me/sync: one answer on opening, then only what changed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.factories import book


def test_the_first_sync_has_everything_and_a_repeat_only_what_changed(as_role, programme):
    coordinator = as_role("coordinator")
    mentor = as_role("mentor")
    person_id, young_person = programme.young_person(coordinator)
    programme.assign(coordinator, person_id, mentor)
    mentor.post(
        f"/api/v1/young-people/{person_id}/plan/goals",
        json={"domain": "housing", "title": "A flat", "description": "", "staff_notes": "secret"},
    )
    book(mentor, person_id, datetime.now(UTC) + timedelta(days=2), staff_notes="staff only")
    first = young_person.get("/api/v1/me/sync")
    assert first.status_code == 200
    body = first.get_json()
    assert body["full"] is True
    assert [g["title"] for g in body["plan"]["goals"]] == ["A flat"]
    assert len(body["appointments"]) == 1
    assert body["me"]["id"] == str(young_person.user.id)
    assert body["check_in_schedule"]["active"] is False
    # The same redaction as each endpoint: no staff-only field anywhere.
    assert "staff_notes" not in first.get_data(as_text=True)
    assert "secret" not in first.get_data(as_text=True)

    again = young_person.get("/api/v1/me/sync", query_string={"since": body["cursor"]})
    quiet = again.get_json()
    assert quiet["full"] is False and quiet["plan"] is None
    assert quiet["notifications"] == quiet["messages"] == quiet["help_requests"] == []
    assert quiet["check_in_schedule"] is None
    assert len(json.dumps(quiet, separators=(",", ":"))) < 1024
    assert len(again.get_data()) < 1024


def test_a_change_after_the_cursor_comes_in_the_next_answer(as_role, programme):
    coordinator = as_role("coordinator")
    mentor = as_role("mentor")
    person_id, young_person = programme.young_person(coordinator)
    programme.assign(coordinator, person_id, mentor)
    cursor = young_person.get("/api/v1/me/sync").get_json()["cursor"]
    mentor.post(
        f"/api/v1/young-people/{person_id}/plan/goals",
        json={"domain": "housing", "title": "New goal", "description": ""},
    )
    mentor.post(f"/api/v1/young-people/{person_id}/messages", json={"body": "hello"})
    changed = young_person.get("/api/v1/me/sync", query_string={"since": cursor}).get_json()
    assert [g["title"] for g in changed["plan"]["goals"]] == ["New goal"]
    assert [m["body"] for m in changed["messages"]] == ["hello"]
    assert changed["me"]["unread_messages"] == 1


def test_a_cursor_that_is_not_ours_is_422(as_role, programme):
    coordinator = as_role("coordinator")
    _, young_person = programme.young_person(coordinator)
    for bad in ("nonsense", "eyJ0IjogMX0", "%%%"):
        refused = young_person.get("/api/v1/me/sync", query_string={"since": bad})
        assert refused.status_code == 422, bad
        assert refused.get_json()["code"] == 422


def test_staff_cannot_sync(as_role):
    assert as_role("coordinator").get("/api/v1/me/sync").status_code == 403


def test_sync_costs_a_fixed_number_of_statements(as_role, programme, count_queries):
    coordinator = as_role("coordinator")
    mentor = as_role("mentor")
    person_id, young_person = programme.young_person(coordinator)
    programme.assign(coordinator, person_id, mentor)
    with count_queries() as few:
        young_person.get("/api/v1/me/sync")
    for day in range(1, 8):
        book(mentor, person_id, datetime.now(UTC) + timedelta(days=day, hours=day))
        mentor.post(f"/api/v1/young-people/{person_id}/messages", json={"body": f"m{day}"})
        goal = mentor.post(
            f"/api/v1/young-people/{person_id}/plan/goals",
            json={"domain": "housing", "title": f"g{day}", "description": ""},
        ).get_json()
        mentor.post(f"/api/v1/goals/{goal['id']}/steps", json={"title": f"s{day}"})
    with count_queries() as many:
        body = young_person.get("/api/v1/me/sync").get_json()
    assert len(body["appointments"]) == 7 and len(body["messages"]) == 7
    assert many.count == few.count
