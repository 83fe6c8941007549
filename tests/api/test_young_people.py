"""Young people's records and assignments: coordinators manage, assigned mentors see."""

from __future__ import annotations

import pytest

PEOPLE = "/api/v1/young-people"


def test_coordinator_updates_status_and_contact_details(as_role, programme):
    coordinator = as_role("coordinator")
    person_id = programme.enrol(coordinator)["young_person_id"]
    changed = coordinator.patch(
        f"{PEOPLE}/{person_id}",
        json={"status": "paused", "phone": "+44 7700 900999", "borough": "tower hamlets"},
    )
    assert changed.status_code == 200
    body = changed.get_json()
    assert (body["status"], body["phone"], body["borough"]) == (
        "paused",
        "+44 7700 900999",
        "Tower Hamlets",
    )
    assert coordinator.patch(f"{PEOPLE}/{person_id}", json={"status": "gone"}).status_code == 422
    assert coordinator.patch(f"{PEOPLE}/{person_id}", json={"first_name": "X"}).status_code == 422
    assert coordinator.patch(f"{PEOPLE}/{person_id}", json={"borough": "Paris"}).status_code == 422


def test_an_assigned_mentor_may_read_but_not_change_the_record(as_role, programme):
    coordinator, mentor = as_role("coordinator"), as_role("mentor")
    person_id = programme.enrol(coordinator)["young_person_id"]
    programme.assign(coordinator, person_id, mentor)
    assert mentor.get(f"{PEOPLE}/{person_id}").status_code == 200
    assert mentor.patch(f"{PEOPLE}/{person_id}", json={"status": "exited"}).status_code == 403
    assert mentor.post(f"{PEOPLE}/{person_id}/activation-code").status_code == 403


def test_search_by_name_and_filter_by_status(as_role, programme):
    coordinator = as_role("coordinator")
    jordan = programme.enrol(coordinator, first_name="Jordan", last_name="Smith")["young_person_id"]
    programme.enrol(coordinator, first_name="Amira", last_name="Okafor")
    found = coordinator.get(f"{PEOPLE}?q=jordan%20sm").get_json()
    assert [p["id"] for p in found] == [jordan]
    assert coordinator.get(f"{PEOPLE}?q=%25").get_json() == []  # a literal %, not a wildcard
    coordinator.patch(f"{PEOPLE}/{jordan}", json={"status": "exited"})
    assert [p["id"] for p in coordinator.get(f"{PEOPLE}?status=exited").get_json()] == [jordan]


def test_ending_an_assignment_cuts_the_mentor_off_at_once_and_keeps_history(as_role, programme):
    coordinator, mentor = as_role("coordinator"), as_role("mentor")
    person_id = programme.enrol(coordinator)["young_person_id"]
    assignment = programme.assign(coordinator, person_id, mentor)
    assert mentor.get(f"{PEOPLE}/{person_id}").status_code == 200
    ended = coordinator.delete(f"{PEOPLE}/{person_id}/assignments/{assignment['id']}")
    assert ended.status_code == 204
    assert mentor.get(f"{PEOPLE}/{person_id}").status_code == 404
    assert mentor.get(PEOPLE).get_json() == []
    history = coordinator.get(f"{PEOPLE}/{person_id}/assignments").get_json()
    assert len(history) == 1 and history[0]["ended_at"] is not None and not history[0]["is_live"]
    assert coordinator.get(f"{PEOPLE}/{person_id}").get_json()["mentors"] == []
    # Assigning again starts a new, live assignment; history keeps both.
    programme.assign(coordinator, person_id, mentor)
    assert len(coordinator.get(f"{PEOPLE}/{person_id}/assignments").get_json()) == 2


def test_assignment_rules(as_role, programme, make):
    coordinator, mentor = as_role("coordinator"), as_role("mentor")
    person_id = programme.enrol(coordinator)["young_person_id"]
    url = f"{PEOPLE}/{person_id}/assignments"
    programme.assign(coordinator, person_id, mentor)
    assert coordinator.post(url, json={"mentor_id": str(mentor.user.id)}).status_code == 409
    not_a_mentor = make.staff("coordinator")
    refused = coordinator.post(url, json={"mentor_id": str(not_a_mentor.id)})
    assert refused.status_code == 422
    assert "mentor_id" in refused.get_json()["errors"]["json"]
    other_person = programme.enrol(coordinator)["young_person_id"]
    foreign = coordinator.delete(
        f"{PEOPLE}/{other_person}/assignments/{coordinator.get(url).get_json()[0]['id']}"
    )
    assert foreign.status_code == 404


@pytest.mark.parametrize("role", ["coordinator", "mentor"])
def test_listing_young_people_costs_the_same_queries_at_any_size(
    as_role, programme, count_queries, role
):
    coordinator = as_role("coordinator")
    caller = coordinator if role == "coordinator" else as_role("mentor")
    budgets = []
    for batch in (2, 12):
        for _ in range(batch):
            person_id = programme.enrol(coordinator)["young_person_id"]
            programme.assign(
                coordinator, person_id, caller if role == "mentor" else as_role("mentor")
            )
        with count_queries() as counted:
            response = caller.get(f"{PEOPLE}?page_size=100")
        assert response.status_code == 200
        assert len(response.get_json()) >= batch
        budgets.append(counted.count)
    assert budgets[0] == budgets[1], budgets
