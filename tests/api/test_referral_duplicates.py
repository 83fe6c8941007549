"""The same young person referred twice, and who is told of referrals, through HTTP."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.conftest import Caller
from youthapp.models import Notification, YoungPerson


def decide(coordinator: Caller, referral_id: str, **body):
    return coordinator.post(f"/api/v1/referrals/{referral_id}/decision", json=body)


def test_a_second_referral_shows_the_record_it_may_duplicate(as_role, programme):
    coordinator = as_role("coordinator")
    first = programme.enrol(coordinator, first_name="José", last_name="Núñez-O'Neill")
    again = programme.refer(first_name=" jose ", last_name="NUNEZ-O'NEILL")
    open_twin = programme.refer(first_name="Jose", last_name="Nunez-O'Neill")
    stranger = programme.refer(
        first_name="Jose", last_name="Nunez-O'Neill", date_of_birth="2011-01-01"
    )

    shown = coordinator.get(f"/api/v1/referrals/{again['id']}").get_json()
    assert sorted(shown["possible_duplicates"], key=str) == sorted(
        [
            {
                "young_person_id": first["young_person_id"],
                "match": "name_and_date_of_birth",
                "status": "active",
            },
            {
                "referral_id": open_twin["id"],
                "match": "name_and_date_of_birth",
                "status": "submitted",
            },
        ],
        key=str,
    )
    assert (
        coordinator.get(f"/api/v1/referrals/{stranger['id']}").get_json()["possible_duplicates"]
        == []
    )


def test_the_referrer_sees_no_duplicates(as_role, programme):
    coordinator, referrer = as_role("coordinator"), as_role("referrer")
    programme.enrol(coordinator)
    again = programme.refer(referrer)
    shown = referrer.get(f"/api/v1/referrals/{again['id']}").get_json()
    assert "possible_duplicates" not in shown and "first_name" not in shown


def test_accepting_with_a_link_joins_the_record_instead_of_enrolling_anyone(as_role, programme, db):
    coordinator = as_role("coordinator")
    person_id, young_person = programme.young_person(coordinator)
    again = programme.refer(needs=["employment"])
    before = db.scalar(select(func.count()).select_from(YoungPerson))

    response = decide(
        coordinator,
        again["id"],
        decision="accept",
        reason="Known to us",
        link_to_young_person_id=person_id,
    )

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["young_person_id"] == person_id
    assert response.get_json()["activation_code"] is None  # already on the app
    db.rollback()
    assert db.scalar(select(func.count()).select_from(YoungPerson)) == before
    record = coordinator.get(f"/api/v1/young-people/{person_id}").get_json()
    assert "employment" in record["needs"]
    assert young_person.get("/api/v1/me/plan").status_code == 200
    export = young_person.get("/api/v1/me/export").get_json()
    assert len(export["referrals"]) == 2 and export["referral"] is not None


def test_linking_an_exited_young_person_makes_them_active_again(as_role, programme):
    coordinator = as_role("coordinator")
    enrolment = programme.enrol(coordinator)
    person_id = enrolment["young_person_id"]
    coordinator.patch(f"/api/v1/young-people/{person_id}", json={"status": "exited"})
    again = programme.refer()
    shown = coordinator.get(f"/api/v1/referrals/{again['id']}").get_json()
    assert shown["possible_duplicates"][0]["status"] == "exited"

    response = decide(
        coordinator,
        again["id"],
        decision="accept",
        reason="Back",
        link_to_young_person_id=person_id,
    )

    # Never activated: a new code, which works (the old one does not).
    code = response.get_json()["activation_code"]
    assert response.status_code == 201 and code
    record = coordinator.get(f"/api/v1/young-people/{person_id}").get_json()
    assert record["status"] == "active"
    history = coordinator.get(f"/api/v1/young-people/{person_id}/status-history").get_json()
    assert [(h["status"], h["reason"]) for h in history] == [
        ("active", "enrolled"),
        ("exited", None),
        ("active", "referred again"),
    ]
    assert programme.activate({"activation_code": code}).user.young_person_id is not None


def test_linking_to_a_record_that_is_not_there_changes_nothing(as_role, programme):
    coordinator = as_role("coordinator")
    again = programme.refer()
    response = decide(
        coordinator,
        again["id"],
        decision="accept",
        reason="x",
        link_to_young_person_id="00000000-0000-4000-8000-000000000000",
    )
    assert response.status_code == 422
    assert "link_to_young_person_id" in response.get_json()["errors"]["json"]
    assert coordinator.get(f"/api/v1/referrals/{again['id']}").get_json()["status"] == "submitted"
    declined = decide(
        coordinator,
        again["id"],
        decision="decline",
        reason="x",
        link_to_young_person_id=again["id"],
    )
    assert declined.status_code == 422


def test_coordinators_hear_of_a_new_referral_and_the_referrer_of_the_decision(
    as_role, programme, db
):
    coordinator, other_coordinator = as_role("coordinator"), as_role("coordinator")
    referrer, mentor = as_role("referrer"), as_role("mentor")
    referral = programme.refer(referrer)
    for staff in (coordinator, other_coordinator):
        [notice] = [
            n
            for n in staff.get("/api/v1/me/notifications").get_json()
            if n["kind"] == "referral_submitted"
        ]
        assert notice["data"] == {"referral_id": referral["id"]}
        assert "Jordan" not in notice["body"] and "Smith" not in notice["body"]
    assert mentor.get("/api/v1/me/notifications").get_json() == []

    decide(coordinator, referral["id"], decision="decline", reason="Outside our area")
    [decided] = referrer.get("/api/v1/me/notifications").get_json()
    assert decided["kind"] == "referral_decided"
    assert decided["data"] == {"referral_id": referral["id"], "status": "declined"}
    assert "Outside our area" not in str(decided) and "Jordan" not in str(decided)
    db.rollback()
    assert (
        db.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.kind == "referral_decided")
        )
        == 1
    )
