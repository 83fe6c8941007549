"""The console through its forms: sign-in, scope, audit, CSRF and the security headers."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from youthapp.models import AuditEvent

URGENT = {"client_ref": "help", "mood": 1, "feeling_safe": False, "needs_help": True}


def test_staff_sign_in_and_see_the_duty_board(browser, as_role, programme):
    coordinator = as_role("coordinator")
    person_id, young_person = programme.young_person(coordinator)
    young_person.post("/api/v1/me/check-ins", json=URGENT)
    page = browser()
    signed = page.sign_in(coordinator.user.email)
    assert signed.status_code == 302 and signed.headers["Location"].endswith("/console/")
    board = page.get("/console/duty")
    assert board.status_code == 200
    text = board.get_data(as_text=True)
    assert "URGENT" in text and "urgent help" in text
    cookie = signed.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    policy = board.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "<script>" not in text  # no inline script anywhere


def test_young_people_and_referrers_cannot_sign_in(browser, as_role, programme):
    coordinator = as_role("coordinator")
    _, young_person = programme.young_person(coordinator)
    for email in (young_person.user.email, as_role("referrer").user.email):
        refused = browser().sign_in(email)
        assert refused.status_code == 403
        assert "for staff" in refused.get_data(as_text=True)


def test_a_wrong_password_is_refused_and_counts_towards_the_lockout(browser, as_role):
    coordinator = as_role("coordinator")
    page = browser()
    for _ in range(5):
        assert page.sign_in(coordinator.user.email, "not the password").status_code == 401
    assert page.sign_in(coordinator.user.email).status_code == 429


def test_a_form_without_its_csrf_token_is_refused(browser, as_role, programme):
    coordinator = as_role("coordinator")
    person_id, _ = programme.young_person(coordinator)
    page = browser()
    page.sign_in(coordinator.user.email)
    refused = page.client.post(
        f"/console/young-people/{person_id}/goals",
        data={"domain": "housing", "title": "Sneaky", "description": ""},
    )
    assert refused.status_code == 400
    assert "Sneaky" not in coordinator.get(f"/api/v1/young-people/{person_id}/plan").get_data(
        as_text=True
    )


def test_an_admin_cannot_open_a_young_persons_record(browser, as_role, programme, admin):
    coordinator = as_role("coordinator")
    person_id, _ = programme.young_person(coordinator)
    page = browser()
    page.sign_in(admin.user.email)
    assert page.get(f"/console/young-people/{person_id}").status_code == 403
    assert page.get("/console/admin/staff").status_code == 200


def test_a_mentor_not_assigned_finds_nothing(browser, as_role, programme):
    coordinator = as_role("coordinator")
    person_id, _ = programme.young_person(coordinator)
    page = browser()
    page.sign_in(as_role("mentor").user.email)
    assert page.get(f"/console/young-people/{person_id}").status_code == 404


def test_logout_ends_the_sign_in_and_its_api_twin(browser, as_role):
    coordinator = as_role("coordinator")
    page = browser()
    page.sign_in(coordinator.user.email)
    assert page.get("/console/duty").status_code == 200
    page.post("/console/logout")
    assert page.get("/console/duty").status_code == 302
    # Deactivation ends a console sign-in at once, as it ends tokens.
    other = browser()
    other.sign_in(coordinator.user.email)
    admin = as_role("admin")
    admin.patch(f"/api/v1/users/{coordinator.user.id}", json={"is_active": False})
    assert other.get("/console/duty").status_code == 302


def test_the_record_page_reads_as_the_api_does_and_is_audited(browser, as_role, programme, db):
    coordinator = as_role("coordinator")
    person_id, _ = programme.young_person(coordinator)
    page = browser()
    page.sign_in(coordinator.user.email)
    db.rollback()

    def actions() -> list[str]:
        db.rollback()
        return sorted(
            db.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.young_person_id == uuid.UUID(person_id),
                    AuditEvent.actor_id == coordinator.user.id,
                )
            )
        )

    before = actions()
    record = page.get(f"/console/young-people/{person_id}")
    assert record.status_code == 200
    read = actions()
    for part in (
        "young_person",
        "plan",
        "safety_plan",
        "check_ins",
        "messages",
        "contact_preferences",
        "status_history",
    ):
        assert read.count(f"{part}.viewed") == before.count(f"{part}.viewed") + 1, part
    assert db.scalar(select(func.count()).select_from(AuditEvent)) >= len(read)


def test_a_stale_goal_save_shows_the_conflict_and_overwrites_nothing(browser, as_role, programme):
    coordinator = as_role("coordinator")
    mentor = as_role("mentor")
    person_id, _ = programme.young_person(coordinator)
    programme.assign(coordinator, person_id, mentor)
    goal = mentor.post(
        f"/api/v1/young-people/{person_id}/plan/goals",
        json={"domain": "housing", "title": "A flat", "description": ""},
    ).get_json()
    first, second = browser(), browser()
    first.sign_in(mentor.user.email)
    second.sign_in(coordinator.user.email)
    record = f"/console/young-people/{person_id}"
    saved = first.post(
        f"/console/goals/{goal['id']}",
        {"version": "1", "title": "A flat in Hackney", "description": "", "status": "in_progress"},
        from_page=record,
    )
    assert saved.status_code == 302
    stale = second.post(
        f"/console/goals/{goal['id']}",
        {"version": "1", "title": "A room", "description": "", "status": "in_progress"},
        from_page=record,
    )
    assert stale.status_code == 409
    text = stale.get_data(as_text=True)
    assert "A flat in Hackney" in text and "A room" in text
    now = mentor.get(f"/api/v1/goals/{goal['id']}").get_json()
    assert now["title"] == "A flat in Hackney"
