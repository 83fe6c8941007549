"""Ending a mentor's assignment, with and without a handover, through HTTP: nothing is left
behind the mentor who goes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import vobject

from tests import factories
from tests.conftest import Caller
from tests.factories import kinds_sent_to


@pytest.fixture
def case(as_role, programme):
    coordinator = as_role("coordinator")
    leaving = as_role("mentor", specialty="housing")
    taking_over = as_role("mentor", specialty="housing")
    person_id, young_person = programme.young_person(coordinator)
    assignment = programme.assign(coordinator, person_id, leaving)
    return coordinator, leaving, taking_over, person_id, young_person, assignment


def book(mentor: Caller, person_id: str, days: float) -> dict:
    starts = (datetime.now(UTC) + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    return factories.book(mentor, person_id, starts, staff_notes="Bring the housing form")


def feed_events(client, young_person: Caller) -> dict[str, int]:
    url = young_person.get("/api/v1/me/calendar-token").get_json()["url"]
    calendar = vobject.readOne(client.get(url.split("localhost", 1)[1]).get_data(as_text=True))
    return {
        event.uid.value.split("@")[0]: int(event.sequence.value) for event in calendar.vevent_list
    }


def end(coordinator: Caller, person_id: str, assignment_id: str, **body):
    return coordinator.post(
        f"/api/v1/young-people/{person_id}/assignments/{assignment_id}/end", json=body
    )


def test_a_handover_moves_the_appointments_to_the_new_mentor(case, client, db):
    coordinator, leaving, taking_over, person_id, young_person, assignment = case
    first, second = book(leaving, person_id, 2), book(leaving, person_id, 9)
    past = book(leaving, person_id, -2)
    before = feed_events(client, young_person)

    response = end(
        coordinator,
        person_id,
        assignment["id"],
        handover_to_mentor_id=str(taking_over.user.id),
        note="Knows about the brother; prefers afternoons",
    )

    assert response.status_code == 200, response.get_json()
    handover = response.get_json()
    assert handover["from_mentor_id"] == str(leaving.user.id)
    assert handover["to_mentor_id"] == str(taking_over.user.id)
    assert (handover["appointments_moved"], handover["appointments_cancelled"]) == (2, 0)
    for moved in (first, second):
        shown = taking_over.get(f"/api/v1/appointments/{moved['id']}").get_json()
        assert shown["mentor_id"] == str(taking_over.user.id)
        assert shown["status"] == "scheduled" and shown["staff_notes"] == "Bring the housing form"
        assert leaving.get(f"/api/v1/appointments/{moved['id']}").status_code == 404
    assert coordinator.get(f"/api/v1/appointments/{past['id']}").get_json()["mentor_id"] == str(
        leaving.user.id
    )
    after = feed_events(client, young_person)
    for moved in (first, second):
        assert after[moved["id"]] == before[moved["id"]] + 1
    assert after[past["id"]] == before[past["id"]]
    assert kinds_sent_to(db, young_person).count("appointment_changed") == 2
    # The old mentor lost the case at once; the new one has it.
    assert leaving.get(f"/api/v1/young-people/{person_id}").status_code == 404
    mentors = coordinator.get(f"/api/v1/young-people/{person_id}").get_json()["mentors"]
    assert [m["mentor_id"] for m in mentors] == [str(taking_over.user.id)]
    ended = coordinator.get(f"/api/v1/young-people/{person_id}/assignments").get_json()
    assert {a["mentor_id"]: a["ended_reason"] for a in ended} == {
        str(leaving.user.id): "handover",
        str(taking_over.user.id): None,
    }

    listed = taking_over.get(f"/api/v1/young-people/{person_id}/handovers").get_json()
    assert [(h["note"], h["appointments_moved"]) for h in listed] == [
        ("Knows about the brother; prefers afternoons", 2)
    ]
    assert "prefers afternoons" not in young_person.get("/api/v1/me/export").get_data(as_text=True)


def test_a_handover_to_a_mentor_already_assigned_keeps_one_assignment(case, programme):
    coordinator, leaving, taking_over, person_id, _, assignment = case
    programme.assign(coordinator, person_id, taking_over)
    response = end(
        coordinator, person_id, assignment["id"], handover_to_mentor_id=str(taking_over.user.id)
    )
    assert response.status_code == 200
    live = coordinator.get(f"/api/v1/young-people/{person_id}").get_json()["mentors"]
    assert [m["mentor_id"] for m in live] == [str(taking_over.user.id)]


def test_without_a_handover_the_appointments_are_cancelled_and_the_young_person_told(
    case, client, db
):
    coordinator, leaving, _, person_id, young_person, assignment = case
    upcoming = book(leaving, person_id, 3)
    response = end(coordinator, person_id, assignment["id"], note="Left the service")
    assert response.status_code == 200
    assert response.get_json()["appointments_cancelled"] == 1
    assert response.get_json()["to_mentor_id"] is None
    shown = coordinator.get(f"/api/v1/appointments/{upcoming['id']}").get_json()
    assert shown["status"] == "cancelled"
    assert "appointment_cancelled" in kinds_sent_to(db, young_person)


def test_delete_is_end_without_a_handover_and_can_be_repeated(case, db):
    coordinator, leaving, _, person_id, young_person, assignment = case
    upcoming = book(leaving, person_id, 3)
    path = f"/api/v1/young-people/{person_id}/assignments/{assignment['id']}"
    assert coordinator.delete(path).status_code == 204
    assert coordinator.get(f"/api/v1/appointments/{upcoming['id']}").get_json()["status"] == (
        "cancelled"
    )
    assert "appointment_cancelled" in kinds_sent_to(db, young_person)
    assert coordinator.delete(path).status_code == 204
    again = end(coordinator, person_id, assignment["id"])
    assert again.status_code == 409


def test_a_handover_that_would_double_book_the_new_mentor_changes_nothing(case, programme, as_role):
    coordinator, leaving, taking_over, person_id, _, assignment = case
    mine = book(leaving, person_id, 4)
    other_id, _ = programme.young_person(coordinator)
    programme.assign(coordinator, other_id, taking_over)
    book(taking_over, other_id, 4)  # the same hour
    response = end(
        coordinator, person_id, assignment["id"], handover_to_mentor_id=str(taking_over.user.id)
    )
    assert response.status_code == 409
    assert "mentor" in response.get_json()["message"]
    assert coordinator.get(f"/api/v1/appointments/{mine['id']}").get_json()["mentor_id"] == str(
        leaving.user.id
    )
    assert leaving.get(f"/api/v1/young-people/{person_id}").status_code == 200


def test_a_handover_needs_a_mentor_the_young_person_shares_with(case, as_role, young_consent):
    coordinator, _, _, person_id, young_person, assignment = case
    employment = as_role("mentor", specialty="employment")
    young_consent(young_person, employment=False)
    response = end(
        coordinator, person_id, assignment["id"], handover_to_mentor_id=str(employment.user.id)
    )
    assert response.status_code == 422
    assert "handover_to_mentor_id" in response.get_json()["errors"]["json"]


@pytest.fixture
def young_consent():
    def withdraw(young_person: Caller, **sharing: bool) -> None:
        response = young_person.put("/api/v1/me/consents", json={"sharing": sharing})
        assert response.status_code == 200

    return withdraw


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"handover_to_mentor_id": "not-an-id"}, "handover_to_mentor_id"),
        ({"note": "x" * 4001}, "note"),
        ({"surprise": True}, "surprise"),
    ],
)
def test_bad_end_requests_are_refused_and_change_nothing(case, body, field):
    coordinator, leaving, _, person_id, _, assignment = case
    response = end(coordinator, person_id, assignment["id"], **body)
    assert response.status_code == 422 and field in response.get_json()["errors"]["json"]
    assert leaving.get(f"/api/v1/young-people/{person_id}").status_code == 200


def test_a_handover_to_someone_who_is_not_a_mentor_is_refused(case, as_role):
    coordinator, leaving, _, person_id, _, assignment = case
    response = end(
        coordinator, person_id, assignment["id"], handover_to_mentor_id=str(coordinator.user.id)
    )
    assert response.status_code == 422
    assert leaving.get(f"/api/v1/young-people/{person_id}").status_code == 200


def test_only_coordinators_end_assignments(case):
    _, leaving, taking_over, person_id, _, assignment = case
    response = end(
        leaving, person_id, assignment["id"], handover_to_mentor_id=str(taking_over.user.id)
    )
    assert response.status_code == 403


def test_a_mentor_whose_assignment_ended_is_not_told_of_answers(case, db):
    coordinator, leaving, _, person_id, young_person, assignment = case
    earlier = book(leaving, person_id, -0.1)  # started a couple of hours ago, still open
    coordinator.delete(f"/api/v1/young-people/{person_id}/assignments/{assignment['id']}")
    answered = young_person.post(
        f"/api/v1/appointments/{earlier['id']}/response", json={"response": "confirmed"}
    )
    assert answered.status_code == 200
    assert "appointment_response" not in kinds_sent_to(db, leaving)


def test_a_mentor_without_consent_is_not_told_of_answers(case, db):
    _, leaving, _, person_id, young_person, _ = case
    upcoming = book(leaving, person_id, 2)
    young_person.put("/api/v1/me/consents", json={"sharing": {"housing": False}})
    young_person.post(
        f"/api/v1/appointments/{upcoming['id']}/response", json={"response": "declined"}
    )
    young_person.post(f"/api/v1/appointments/{upcoming['id']}/cancel", json={"reason": "Busy"})
    assert kinds_sent_to(db, leaving) == []
