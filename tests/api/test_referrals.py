"""From referral to an activated young person with mentors, through HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, referral_body
from youthapp.models import Referral, User, YoungPerson

REFERRALS = "/api/v1/referrals"


def test_the_enrolment_journey(client, as_role, programme):
    teacher = as_role("referrer", referrer_type="teacher", organisation="Hackney Academy")
    coordinator = as_role("coordinator")
    housing = as_role("mentor", specialty="housing")
    mental_health = as_role("mentor", specialty="mental_health")
    unassigned = as_role("mentor", specialty="employment")

    referral = programme.refer(teacher)
    assert referral["status"] == "submitted"
    assert referral["referrer_type"] == "teacher"
    assert referral["organisation"] == "Hackney Academy"

    decision = coordinator.post(
        f"{REFERRALS}/{referral['id']}/decision",
        json={"decision": "accept", "reason": "Meets the criteria"},
    )
    assert decision.status_code == 201
    enrolment = decision.get_json()
    assert enrolment["referral"]["status"] == "accepted"
    young_person_id = enrolment["young_person_id"]

    activated = client.post(
        "/api/v1/auth/activate",
        json={
            "activation_code": enrolment["activation_code"].lower().replace("-", " "),
            "email": "jordan@example.org",
            "password": PASSWORD,
        },
    )
    assert activated.status_code == 201
    me = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {activated.get_json()['access_token']}"}
    ).get_json()
    assert me["role"] == "young_person"
    assert me["young_person_id"] == young_person_id
    assert me["display_name"] == "Jordan"

    for mentor in (housing, mental_health):
        assignment = programme.assign(coordinator, young_person_id, mentor)
        assert assignment["specialty"] == mentor.user.specialty
    for mentor in (housing, mental_health):
        seen = mentor.get(f"/api/v1/young-people/{young_person_id}")
        assert seen.status_code == 200
        assert {m["specialty"] for m in seen.get_json()["mentors"]} == {"housing", "mental_health"}
        assert [p["id"] for p in mentor.get("/api/v1/young-people").get_json()] == [young_person_id]
    assert unassigned.get(f"/api/v1/young-people/{young_person_id}").status_code == 404
    assert unassigned.get("/api/v1/young-people").get_json() == []

    # The teacher follows the status, and nothing of the case.
    followed = teacher.get(f"{REFERRALS}/{referral['id']}").get_json()
    assert followed["status"] == "accepted"
    for private in ("risk_notes", "reason", "first_name", "date_of_birth", "young_person_id"):
        assert private not in followed


def test_a_referral_needs_consent_and_sane_details(as_role, db):
    referrer = as_role("referrer")
    today = datetime.now(UTC).date()
    cases = {
        "consent_obtained": referral_body(consent_obtained=False),
        "date_of_birth": referral_body(date_of_birth=(today + timedelta(days=1)).isoformat()),
        "borough": referral_body(borough="Manchester"),
        "needs": referral_body(needs=["astrology"]),
    }
    for field, body in cases.items():
        response = referrer.post(REFERRALS, json=body)
        assert response.status_code == 422, field
        assert field in response.get_json()["errors"]["json"], field
    too_old = referral_body(date_of_birth=date(today.year - 30, 1, 1).isoformat())
    too_young = referral_body(date_of_birth=date(today.year - 5, 1, 1).isoformat())
    for body in (
        too_old,
        too_young,
        referral_body(needs=[]),
        referral_body(date_of_birth="2010-02-30"),
    ):
        assert referrer.post(REFERRALS, json=body).status_code == 422
    missing = {k: v for k, v in referral_body().items() if k != "consent_obtained"}
    assert referrer.post(REFERRALS, json=missing).status_code == 422
    assert db.scalar(select(func.count()).select_from(Referral)) == 0


def test_borough_names_are_made_canonical(as_role, programme):
    coordinator = as_role("coordinator")
    referral = programme.refer(borough="hammersmith & fulham")
    assert (
        coordinator.get(f"{REFERRALS}/{referral['id']}").get_json()["borough"]
        == "Hammersmith and Fulham"
    )


def test_only_referrers_refer(as_role):
    for role in ("coordinator", "mentor", "admin"):
        assert as_role(role).post(REFERRALS, json=referral_body()).status_code == 403


def test_deciding_twice_is_a_conflict_and_declining_needs_a_reason(as_role, programme, db):
    coordinator = as_role("coordinator")
    referral = programme.refer()
    url = f"{REFERRALS}/{referral['id']}/decision"
    assert coordinator.post(url, json={"decision": "decline"}).status_code == 422
    declined = coordinator.post(url, json={"decision": "decline", "reason": "Out of area"})
    assert declined.status_code == 200
    assert declined.get_json()["status"] == "declined"
    again = coordinator.post(url, json={"decision": "accept"})
    assert again.status_code == 409
    assert db.scalar(select(func.count()).select_from(YoungPerson)) == 0


def test_withdraw_only_by_its_referrer_and_only_while_submitted(as_role, programme):
    referrer = as_role("referrer")
    coordinator = as_role("coordinator")
    referral = programme.refer(referrer)
    url = f"{REFERRALS}/{referral['id']}/withdraw"
    assert as_role("referrer").post(url).status_code == 404
    assert coordinator.post(url).status_code == 403
    withdrawn = referrer.post(url)
    assert withdrawn.status_code == 200
    assert withdrawn.get_json()["status"] == "withdrawn"
    assert referrer.post(url).status_code == 409
    decided = coordinator.post(
        f"{REFERRALS}/{referral['id']}/decision", json={"decision": "accept"}
    )
    assert decided.status_code == 409


def test_referrers_list_only_their_own_and_only_status(as_role, programme):
    mine, theirs = as_role("referrer"), as_role("referrer")
    coordinator = as_role("coordinator")
    own = programme.refer(mine)
    programme.refer(theirs)
    listed = mine.get(REFERRALS).get_json()
    assert [r["id"] for r in listed] == [own["id"]]
    assert "risk_notes" not in listed[0] and "last_name" not in listed[0]
    everything = coordinator.get(REFERRALS).get_json()
    assert len(everything) == 2
    assert all("risk_notes" in r for r in everything)
    assert coordinator.get(f"{REFERRALS}?status=accepted").get_json() == []
    assert len(coordinator.get(f"{REFERRALS}?status=submitted").get_json()) == 2


class TestActivation:
    def test_a_code_works_once(self, client, as_role, programme):
        enrolment = programme.enrol(as_role("coordinator"))
        programme.activate(enrolment)
        reused = client.post(
            "/api/v1/auth/activate",
            json={
                "activation_code": enrolment["activation_code"],
                "email": "other@example.org",
                "password": PASSWORD,
            },
        )
        assert reused.status_code == 401

    def test_a_wrong_code_and_an_expired_code_are_refused(self, client, as_role, programme, db):
        enrolment = programme.enrol(as_role("coordinator"))
        wrong = client.post(
            "/api/v1/auth/activate",
            json={
                "activation_code": "AAAA-BBBB-CCCC",
                "email": "a@example.org",
                "password": PASSWORD,
            },
        )
        assert wrong.status_code == 401
        person = db.get(YoungPerson, uuid.UUID(enrolment["young_person_id"]))
        person.activation_code_expires_at = person.created_at - timedelta(seconds=1)
        db.commit()
        expired = client.post(
            "/api/v1/auth/activate",
            json={
                "activation_code": enrolment["activation_code"],
                "email": "a@example.org",
                "password": PASSWORD,
            },
        )
        assert expired.status_code == 410
        assert (
            db.scalar(select(func.count()).select_from(User).where(User.role == "young_person"))
            == 0
        )

    def test_a_weak_password_does_not_spend_the_code(self, client, as_role, programme):
        enrolment = programme.enrol(as_role("coordinator"))
        weak = client.post(
            "/api/v1/auth/activate",
            json={
                "activation_code": enrolment["activation_code"],
                "email": "a@example.org",
                "password": "password",
            },
        )
        assert weak.status_code == 422
        assert "password" in weak.get_json()["errors"]["json"]
        programme.activate(enrolment)

    def test_reissue_replaces_the_old_code(self, client, as_role, programme):
        coordinator = as_role("coordinator")
        enrolment = programme.enrol(coordinator)
        reissued = coordinator.post(
            f"/api/v1/young-people/{enrolment['young_person_id']}/activation-code"
        )
        assert reissued.status_code == 201
        new_code = reissued.get_json()["activation_code"]
        assert new_code != enrolment["activation_code"]
        old = client.post(
            "/api/v1/auth/activate",
            json={
                "activation_code": enrolment["activation_code"],
                "email": "a@example.org",
                "password": PASSWORD,
            },
        )
        assert old.status_code == 401
        programme.activate({**enrolment, "activation_code": new_code})

    def test_a_reissued_code_resets_a_lost_account(self, client, as_role, programme):
        coordinator = as_role("coordinator")
        enrolment = programme.enrol(coordinator)
        old_phone = programme.activate(enrolment, email="first@example.org")
        code = coordinator.post(
            f"/api/v1/young-people/{enrolment['young_person_id']}/activation-code"
        ).get_json()["activation_code"]
        new_phone = programme.activate(
            {**enrolment, "activation_code": code}, email="new@example.org"
        )
        assert new_phone.user.id == old_phone.user.id
        assert old_phone.get("/api/v1/me").status_code == 401
        assert new_phone.get("/api/v1/me").get_json()["email"] == "new@example.org"

    def test_activation_is_throttled_per_account(self, client, as_role, programme):
        enrolment = programme.enrol(as_role("coordinator"))
        for _ in range(5):
            client.post(
                "/api/v1/auth/activate",
                json={
                    "activation_code": "WRONG-CODE-0000",
                    "email": "a@example.org",
                    "password": PASSWORD,
                },
            )
        locked = client.post(
            "/api/v1/auth/activate",
            json={
                "activation_code": enrolment["activation_code"],
                "email": "a@example.org",
                "password": PASSWORD,
            },
        )
        assert locked.status_code == 429
        assert int(locked.headers["Retry-After"]) > 0

    def test_an_email_already_in_use_is_a_conflict(self, client, as_role, programme, make):
        enrolment = programme.enrol(as_role("coordinator"))
        staff = make.staff("mentor")
        taken = client.post(
            "/api/v1/auth/activate",
            json={
                "activation_code": enrolment["activation_code"],
                "email": staff.email,
                "password": PASSWORD,
            },
        )
        assert taken.status_code == 409
        programme.activate(enrolment)


@pytest.mark.parametrize("page_size", [1, 20, 100])
def test_listing_referrals_costs_the_same_queries_whatever_the_page(
    as_role, programme, count_queries, page_size
):
    coordinator = as_role("coordinator")
    for _ in range(3):
        programme.refer()
    with count_queries() as counted:
        response = coordinator.get(f"{REFERRALS}?page_size={page_size}")
    assert response.status_code == 200
    # auth + count + page + audit insert
    assert counted.count <= 5, counted.statements
