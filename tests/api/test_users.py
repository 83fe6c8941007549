"""Staff accounts managed by admins through /api/v1/users."""

from __future__ import annotations

import json
import threading
import uuid

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from youthapp.clock import utcnow
from youthapp.errors import Conflict
from youthapp.models import MENTOR_SPECIALTIES, User
from youthapp.services import accounts

USERS = "/api/v1/users"
LOGIN = "/api/v1/auth/login"
NEW_PASSWORD = "violet kettle under the stairs"


def new_user(role: str = "coordinator", **details):
    body = {
        "email": f"new.{role}@example.org",
        "password": "sturdy lantern river fox",
        "display_name": f"New {role.title()}",
        "role": role,
    }
    body.update(details)
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- creating ----------------------------------------------------------------------------


def test_admin_creates_a_coordinator_who_can_then_sign_in(admin, client):
    body = new_user("coordinator", email="Sam.Okafor@Example.ORG")
    response = admin.post(USERS, json=body)

    assert response.status_code == 201
    assert response.headers.get("ETag")
    created = response.get_json()
    assert uuid.UUID(created["id"])
    assert created["email"] == "sam.okafor@example.org"
    assert created["role"] == "coordinator"
    assert created["display_name"] == "New Coordinator"
    assert created["is_active"] is True
    assert created["specialty"] is None
    assert "password" not in created and "password_hash" not in created
    assert body["password"] not in response.get_data(as_text=True)

    login = client.post(
        LOGIN, json={"email": "SAM.OKAFOR@example.org", "password": body["password"]}
    )
    assert login.status_code == 200
    assert login.get_json()["user"]["id"] == created["id"]


def test_created_user_is_stored_with_an_argon2id_hash_not_the_password(admin, db):
    body = new_user("admin")
    user_id = admin.post(USERS, json=body).get_json()["id"]
    stored = db.get(User, uuid.UUID(user_id))
    assert stored.password_hash.startswith("$argon2id$")
    assert body["password"] not in stored.password_hash


@pytest.mark.parametrize("specialty", MENTOR_SPECIALTIES)
def test_mentor_is_created_with_a_specialty(admin, specialty):
    response = admin.post(USERS, json=new_user("mentor", specialty=specialty))
    assert response.status_code == 201
    assert response.get_json()["specialty"] == specialty


@pytest.mark.parametrize("specialty", [None, "astrology", "Housing", ""])
def test_mentor_without_a_known_specialty_is_refused(admin, specialty):
    body = new_user("mentor")
    if specialty is not None:
        body["specialty"] = specialty
    response = admin.post(USERS, json=body)
    assert response.status_code == 422
    assert "specialty" in response.get_json()["errors"]["json"]


def test_referrer_needs_a_referrer_type_and_an_organisation(admin):
    complete = new_user("referrer", referrer_type="police_officer", organisation="Met Police")
    created = admin.post(USERS, json=complete)
    assert created.status_code == 201
    assert created.get_json()["referrer_type"] == "police_officer"
    assert created.get_json()["organisation"] == "Met Police"

    no_type = admin.post(
        USERS, json=new_user("referrer", email="r2@example.org", organisation="Hackney Academy")
    )
    assert no_type.status_code == 422
    assert "referrer_type" in no_type.get_json()["errors"]["json"]

    no_organisation = admin.post(
        USERS, json=new_user("referrer", email="r3@example.org", referrer_type="teacher")
    )
    assert no_organisation.status_code == 422
    assert "organisation" in no_organisation.get_json()["errors"]["json"]

    blank_organisation = admin.post(
        USERS,
        json=new_user(
            "referrer", email="r4@example.org", referrer_type="teacher", organisation="   "
        ),
    )
    assert blank_organisation.status_code == 422


@pytest.mark.parametrize(
    ("role", "details", "field"),
    [
        ("coordinator", {"specialty": "housing"}, "specialty"),
        ("admin", {"specialty": "mental_health"}, "specialty"),
        (
            "referrer",
            {"specialty": "housing", "referrer_type": "teacher", "organisation": "School"},
            "specialty",
        ),
        ("mentor", {"specialty": "housing", "referrer_type": "teacher"}, "referrer_type"),
        ("coordinator", {"organisation": "Somewhere"}, "organisation"),
    ],
)
def test_details_of_another_role_are_refused(admin, role, details, field):
    response = admin.post(USERS, json=new_user(role, **details))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def test_young_person_accounts_cannot_be_made_here(admin, db):
    response = admin.post(USERS, json=new_user("young_person"))
    assert response.status_code == 422
    assert "role" in response.get_json()["errors"]["json"]
    assert db.scalar(select(User).where(User.role == "young_person")) is None


@pytest.mark.parametrize("email", ["taken@example.org", "TAKEN@example.org", "Taken@Example.Org"])
def test_duplicate_email_in_any_case_is_a_conflict(admin, email):
    assert admin.post(USERS, json=new_user(email="taken@example.org")).status_code == 201
    again = admin.post(USERS, json=new_user("mentor", email=email, specialty="housing"))
    assert again.status_code == 409
    assert again.get_json()["code"] == 409
    listed = admin.get(USERS, query_string={"role": "mentor"}).get_json()
    assert listed == []


@pytest.mark.parametrize(
    "password",
    [
        "nine char",  # 9 characters
        "password123456",  # a common password with digits added
        "Password1234!",  # the same with a capital and a symbol
        "aaaaaaaaaaaa",  # one character repeated
        "jordan.blake rocks",  # contains the email's local part
        "JORDAN.BLAKE-2026",  # ... in any case
    ],
)
def test_weak_passwords_are_refused_with_a_reason(admin, db, password):
    body = new_user("coordinator", email="jordan.blake@example.org", password=password)
    response = admin.post(USERS, json=body)
    assert response.status_code == 422
    problems = response.get_json()["errors"]["json"]["password"]
    assert problems and all(isinstance(p, str) and p for p in problems)
    assert password not in response.get_data(as_text=True)
    assert db.scalar(select(User).where(User.email == "jordan.blake@example.org")) is None


@pytest.mark.parametrize("length", [128, 256])
def test_long_passphrases_are_accepted_and_work(admin, client, length):
    words = "correct horse battery staple meets a quiet violet kettle by the river "
    passphrase = (words * 4)[:length]
    assert len(passphrase) == length
    response = admin.post(USERS, json=new_user(password=passphrase))
    assert response.status_code == 201
    login = client.post(
        LOGIN, json={"email": "new.coordinator@example.org", "password": passphrase}
    )
    assert login.status_code == 200


def test_a_passphrase_over_256_characters_is_refused(admin):
    response = admin.post(USERS, json=new_user(password="x1y2z3 " * 37))
    assert response.status_code == 422
    assert "password" in response.get_json()["errors"]["json"]


@pytest.mark.parametrize("missing", ["email", "password", "display_name", "role"])
def test_required_fields(admin, missing):
    body = new_user()
    del body[missing]
    response = admin.post(USERS, json=body)
    assert response.status_code == 422
    assert missing in response.get_json()["errors"]["json"]


@pytest.mark.parametrize(
    "change",
    [
        {"email": "not-an-email"},
        {"display_name": "   "},
        {"display_name": "x" * 101},
        {"is_active": False},  # not settable on creation
        {"password_hash": "$argon2id$whatever"},
    ],
)
def test_invalid_or_unknown_fields_are_refused(admin, change):
    response = admin.post(USERS, json={**new_user(), **change})
    assert response.status_code == 422


# --- listing and reading -----------------------------------------------------------------


def test_list_is_paginated_and_filtered(admin, make):
    for _ in range(3):
        make.staff("mentor")
    referrer = make.staff("referrer")
    make.staff("coordinator")

    first = admin.get(USERS, query_string={"page": 1, "page_size": 4})
    assert first.status_code == 200
    assert len(first.get_json()) == 4
    pagination = json.loads(first.headers["X-Pagination"])
    assert pagination["total"] == 6  # five made here and the admin
    assert pagination["total_pages"] == 2
    second = admin.get(USERS, query_string={"page": 2, "page_size": 4}).get_json()
    assert len(second) == 2
    seen = {u["id"] for u in first.get_json()} | {u["id"] for u in second}
    assert len(seen) == 6
    assert not any("password_hash" in u or "password" in u for u in first.get_json())

    mentors = admin.get(USERS, query_string={"role": "mentor"}).get_json()
    assert len(mentors) == 3
    assert {u["role"] for u in mentors} == {"mentor"}

    admin.patch(f"{USERS}/{referrer.id}", json={"is_active": False})
    inactive = admin.get(USERS, query_string={"is_active": "false"}).get_json()
    assert [u["id"] for u in inactive] == [str(referrer.id)]
    active = admin.get(USERS, query_string={"is_active": "true"}).get_json()
    assert len(active) == 5 and str(referrer.id) not in {u["id"] for u in active}


def test_young_people_are_not_listed(admin, programme, as_role):
    _, young_person = programme.young_person(as_role("coordinator"))
    young = young_person.user

    listed = admin.get(USERS).get_json()
    assert len(listed) == 3  # the admin, the coordinator and the referrer who referred
    assert "young_person" not in {u["role"] for u in listed}
    assert admin.get(f"{USERS}/{young.id}").status_code == 404
    assert admin.patch(f"{USERS}/{young.id}", json={"is_active": False}).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"role": "young_person"},
        {"role": "king"},
        {"is_active": "perhaps"},
        {"page_size": 101},
        {"page": 0},
    ],
)
def test_bad_list_queries_are_refused(admin, query):
    assert admin.get(USERS, query_string=query).status_code == 422


def test_get_one_user(admin, make):
    mentor = make.staff("mentor", specialty="employment")
    response = admin.get(f"{USERS}/{mentor.id}")
    assert response.status_code == 200
    assert response.headers.get("ETag")
    body = response.get_json()
    assert body["id"] == str(mentor.id)
    assert body["email"] == mentor.email
    assert body["specialty"] == "employment"
    assert body["created_at"].endswith("Z")
    assert "password_hash" not in body
    unchanged = admin.get(
        f"{USERS}/{mentor.id}", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert unchanged.status_code == 304

    assert admin.get(f"{USERS}/{uuid.uuid4()}").status_code == 404
    assert admin.get(f"{USERS}/not-a-uuid").status_code == 404


def test_list_query_count_does_not_grow_with_the_number_of_users(admin, make, count_queries):
    for _ in range(2):
        make.staff("mentor")
    with count_queries() as few:
        response = admin.get(USERS, query_string={"page_size": 100})
    assert len(response.get_json()) == 3

    for _ in range(27):
        make.staff("coordinator")
    with count_queries() as many:
        response = admin.get(USERS, query_string={"page_size": 100})
    assert len(response.get_json()) == 30

    assert many.count == few.count
    assert few.count <= 4  # the caller's session, the page and its count


# --- changing ------------------------------------------------------------------------------


def test_patch_display_name(admin, make):
    coordinator = make.staff("coordinator")
    before = admin.get(f"{USERS}/{coordinator.id}")
    response = admin.patch(f"{USERS}/{coordinator.id}", json={"display_name": "Priya Shah "})
    assert response.status_code == 200
    assert response.get_json()["display_name"] == "Priya Shah"
    assert response.headers["ETag"] != before.headers["ETag"]
    assert admin.get(f"{USERS}/{coordinator.id}").get_json()["display_name"] == "Priya Shah"


def test_surrounding_spaces_are_trimmed_not_refused(admin, make):
    coordinator = make.staff("coordinator")
    response = admin.patch(f"{USERS}/{coordinator.id}", json={"display_name": "  Priya Shah"})
    assert response.status_code == 200
    assert response.get_json()["display_name"] == "Priya Shah"


@pytest.mark.parametrize(
    "change",
    [
        {"display_name": ""},
        {"display_name": None},
        {"is_active": None},
        {"role": "admin"},
        {"email": "other@example.org"},
    ],
)
def test_invalid_patches_are_refused(admin, make, change):
    coordinator = make.staff("coordinator")
    response = admin.patch(f"{USERS}/{coordinator.id}", json=change)
    assert response.status_code == 422
    stored = admin.get(f"{USERS}/{coordinator.id}").get_json()
    assert stored["role"] == "coordinator" and stored["email"] == coordinator.email


@pytest.mark.parametrize(
    ("role", "change"),
    [
        ("mentor", {"specialty": None}),
        ("referrer", {"organisation": None}),
        ("referrer", {"referrer_type": None}),
        ("coordinator", {"specialty": "housing"}),
    ],
)
def test_patch_keeps_the_details_a_role_needs(admin, make, role, change):
    user = make.staff(role)
    before = admin.get(f"{USERS}/{user.id}").get_json()
    response = admin.patch(f"{USERS}/{user.id}", json=change)
    assert response.status_code == 422
    assert set(change) <= set(response.get_json()["errors"]["json"])
    assert admin.get(f"{USERS}/{user.id}").get_json() == before


def test_patch_changes_a_mentors_specialty(admin, make):
    mentor = make.staff("mentor")
    changed = admin.patch(f"{USERS}/{mentor.id}", json={"specialty": "mental_health"})
    assert changed.status_code == 200
    assert changed.get_json()["specialty"] == "mental_health"
    assert admin.get(f"{USERS}/{mentor.id}").get_json()["specialty"] == "mental_health"


def test_password_reset_ends_old_sessions_and_the_new_password_works(admin, make, client):
    mentor = make.staff("mentor")
    old_tokens = make.login(mentor.email)

    response = admin.patch(f"{USERS}/{mentor.id}", json={"password": NEW_PASSWORD})
    assert response.status_code == 200
    assert NEW_PASSWORD not in response.get_data(as_text=True)

    assert client.get("/api/v1/me", headers=bearer(old_tokens["access_token"])).status_code == 401
    assert (
        client.post("/api/v1/auth/refresh", headers=bearer(old_tokens["refresh_token"])).status_code
        == 401
    )
    assert client.post(LOGIN, json={"email": mentor.email, "password": PASSWORD}).status_code == 401
    new_login = client.post(LOGIN, json={"email": mentor.email, "password": NEW_PASSWORD})
    assert new_login.status_code == 200
    # The admin's own sign-in is untouched.
    assert admin.get("/api/v1/me").status_code == 200


def test_a_password_reset_lets_a_locked_out_user_back_in(admin, make, client):
    mentor = make.staff("mentor")
    for _ in range(5):
        client.post(LOGIN, json={"email": mentor.email, "password": "a wrong guess"})
    locked = client.post(LOGIN, json={"email": mentor.email, "password": PASSWORD})
    assert locked.status_code == 429

    assert admin.patch(f"{USERS}/{mentor.id}", json={"password": NEW_PASSWORD}).status_code == 200
    new_login = client.post(LOGIN, json={"email": mentor.email, "password": NEW_PASSWORD})
    assert new_login.status_code == 200


def test_a_weak_password_reset_is_refused_and_changes_nothing(admin, make, client):
    mentor = make.staff("mentor")
    tokens = make.login(mentor.email)
    response = admin.patch(f"{USERS}/{mentor.id}", json={"password": "password123456"})
    assert response.status_code == 422
    assert "password" in response.get_json()["errors"]["json"]
    assert client.get("/api/v1/me", headers=bearer(tokens["access_token"])).status_code == 200
    assert client.post(LOGIN, json={"email": mentor.email, "password": PASSWORD}).status_code == 200


def test_deactivating_the_last_active_admin_is_a_conflict(admin, as_role):
    me = f"{USERS}/{admin.user.id}"
    response = admin.patch(me, json={"is_active": False})
    assert response.status_code == 409
    assert response.get_json()["code"] == 409
    assert admin.get(me).get_json()["is_active"] is True

    second = as_role("admin")
    assert admin.patch(f"{USERS}/{second.user.id}", json={"is_active": False}).status_code == 200
    # The second admin is inactive now, so the first is the last active one again.
    assert admin.patch(me, json={"is_active": False}).status_code == 409
    assert admin.get("/api/v1/me").status_code == 200


def test_an_admin_may_deactivate_themselves_while_another_admin_remains(admin, as_role):
    other = as_role("admin")
    response = admin.patch(f"{USERS}/{admin.user.id}", json={"is_active": False})
    assert response.status_code == 200
    assert admin.get("/api/v1/me").status_code == 401
    assert other.patch(f"{USERS}/{other.user.id}", json={"is_active": False}).status_code == 409


def test_two_admins_deactivating_each_other_at_once_leave_one_active(app, make):
    """The last-admin rule holds under concurrency: the second deactivation waits, then fails."""
    first, second = make.staff("admin"), make.staff("admin")
    runtime = app.extensions["youthapp"]
    outcome: dict[str, object] = {}

    def deactivate_first() -> None:
        with runtime.session_factory() as session:
            try:
                accounts.update_staff_user(
                    session, runtime.hashing, second, first.id, {"is_active": False}, now=utcnow()
                )
                session.commit()
                outcome["result"] = "deactivated"
            except Conflict:
                session.rollback()
                outcome["result"] = "conflict"

    with runtime.session_factory() as session:
        accounts.update_staff_user(
            session, runtime.hashing, first, second.id, {"is_active": False}, now=utcnow()
        )
        racer = threading.Thread(target=deactivate_first)
        racer.start()
        racer.join(0.5)
        still_waiting = racer.is_alive()
        session.commit()
    racer.join(30)

    assert outcome["result"] == "conflict"
    assert still_waiting  # it waited for the first change instead of reading a stale count
    with runtime.session_factory() as session:
        active = session.scalars(
            select(User.id).where(User.role == "admin", User.is_active.is_(True))
        ).all()
    assert active == [first.id]


# --- who may use it ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["mentor", "coordinator", "referrer"])
def test_non_admins_are_forbidden_every_users_route(as_role, make, role):
    caller = as_role(role)
    someone = make.staff("coordinator")
    answers = [
        caller.get(USERS),
        caller.post(USERS, json=new_user()),
        caller.get(f"{USERS}/{someone.id}"),
        caller.patch(f"{USERS}/{someone.id}", json={"is_active": False}),
        caller.patch(f"{USERS}/{caller.user.id}", json={"display_name": "Promoted"}),
    ]
    assert [a.status_code for a in answers] == [403] * len(answers)
    assert all(a.get_json()["code"] == 403 for a in answers)
    assert caller.get("/api/v1/me").get_json()["display_name"] == caller.user.display_name


def test_users_routes_need_a_sign_in(client, make):
    someone = make.staff("coordinator")
    assert client.get(USERS).status_code == 401
    assert client.post(USERS, json=new_user()).status_code == 401
    assert client.get(f"{USERS}/{someone.id}").status_code == 401
    assert client.patch(f"{USERS}/{someone.id}", json={"is_active": False}).status_code == 401
