"""Every role against every referral and young-person endpoint, in and out of scope.

The records are in the default team's borough; a second team (Enfield's) has a coordinator
of its own, to whom they are out of scope, and a lead reads them all and changes nothing.

Out of scope is 404 (existence does not leak); a record the caller can see but may not
change is 403; a role that may never use an endpoint is 403, whatever the id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import Caller, referral_body


@dataclass
class World:
    coordinator: Caller
    referrer: Caller  # made the referral below
    other_referrer: Caller
    mentor: Caller  # assigned to the young person below
    other_mentor: Caller
    admin: Caller
    young_person: Caller  # the young person below
    other_young_person: Caller
    referral_id: str
    young_person_id: str
    assignment_id: str
    goal_id: str
    step_id: str
    appointment_id: str
    alert_id: str
    timer_id: str
    other_coordinator: Caller  # in another team
    lead: Caller


@pytest.fixture
def world(as_role, programme) -> World:
    admin = as_role("admin")
    north = admin.post("/api/v1/teams", json={"name": "North", "boroughs": ["Enfield"]})
    other_coordinator = as_role("coordinator")
    admin.put(
        f"/api/v1/users/{other_coordinator.user.id}/teams",
        json={"team_ids": [north.get_json()["id"]]},
    )
    coordinator = as_role("coordinator")
    referrer = as_role("referrer")
    referral = programme.refer(referrer)
    accepted = coordinator.post(
        f"/api/v1/referrals/{referral['id']}/decision", json={"decision": "accept"}
    ).get_json()
    person_id = accepted["young_person_id"]
    mentor = as_role("mentor")
    assignment = programme.assign(coordinator, person_id, mentor)
    _, other_young_person = programme.young_person(coordinator)
    # A second open referral so deciding/withdrawing it in a test leaves the first intact.
    pending = programme.refer(referrer)
    goal = mentor.post(
        f"/api/v1/young-people/{person_id}/plan/goals",
        json={"domain": "housing", "title": "Jordan's housing", "description": ""},
    ).get_json()
    step = mentor.post(f"/api/v1/goals/{goal['id']}/steps", json={"title": "Form"}).get_json()
    appointment = mentor.post(
        "/api/v1/appointments", json=appointment_body(person_id, mentor)
    ).get_json()
    young_person = programme.activate(accepted)
    young_person.post(
        "/api/v1/me/check-ins",
        json={"client_ref": "w", "mood": 1, "feeling_safe": True, "needs_help": True},
    )
    alert = coordinator.get("/api/v1/alerts").get_json()[0]
    back = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    timer = young_person.post("/api/v1/me/safety-timers", json={"expected_back_at": back})
    return World(
        coordinator=coordinator,
        referrer=referrer,
        other_referrer=as_role("referrer"),
        mentor=mentor,
        other_mentor=as_role("mentor"),
        admin=admin,
        young_person=young_person,
        other_young_person=other_young_person,
        referral_id=pending["id"],
        young_person_id=person_id,
        assignment_id=assignment["id"],
        goal_id=goal["id"],
        step_id=step["id"],
        appointment_id=appointment["id"],
        alert_id=alert["id"],
        timer_id=timer.get_json()["id"],
        other_coordinator=other_coordinator,
        lead=as_role("lead"),
    )


def appointment_body(person_id: str, mentor: Caller, days: int = -1) -> dict:
    """An hour with the mentor `days` from now (in the past by default, so attendance can be
    recorded)."""
    starts = (datetime.now(UTC) + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    return {
        "young_person_id": person_id,
        "mentor_id": str(mentor.user.id),
        "starts_at": starts.isoformat(),
        "duration_minutes": 60,
        "mode": "phone",
        "staff_notes": "Jordan's housing worry",
    }


ROLES = [
    "coordinator",
    "referrer",
    "other_referrer",
    "mentor",
    "other_mentor",
    "admin",
    "young_person",
    "other_young_person",
]

# endpoint -> expected status for each role, in the order of ROLES
MATRIX = {
    ("GET", "/referrals/{referral_id}"): [200, 200, 404, 404, 404, 404, 404, 404],
    ("POST", "/referrals/{referral_id}/withdraw"): [403, 200, 404, 404, 404, 404, 404, 404],
    ("POST", "/referrals/{referral_id}/decision"): [201, 403, 404, 404, 404, 404, 404, 404],
    ("GET", "/young-people/{young_person_id}"): [200, 404, 404, 200, 404, 404, 404, 404],
    ("PATCH", "/young-people/{young_person_id}"): [200, 404, 404, 403, 404, 404, 404, 404],
    ("POST", "/young-people/{young_person_id}/activation-code"): [
        201,
        404,
        404,
        403,
        404,
        404,
        404,
        404,
    ],
    ("GET", "/young-people/{young_person_id}/assignments"): [
        200,
        404,
        404,
        200,
        404,
        404,
        404,
        404,
    ],
    ("POST", "/young-people/{young_person_id}/assignments"): [
        201,
        404,
        404,
        403,
        404,
        404,
        404,
        404,
    ],
    ("DELETE", "/young-people/{young_person_id}/assignments/{assignment_id}"): [
        204,
        404,
        404,
        403,
        404,
        404,
        404,
        404,
    ],
    ("GET", "/young-people/{young_person_id}/plan"): [200, 404, 404, 200, 404, 404, 404, 404],
    ("POST", "/young-people/{young_person_id}/plan/goals"): [
        201,
        404,
        404,
        201,
        404,
        404,
        404,
        404,
    ],
    ("GET", "/young-people/{young_person_id}/plan/history"): [
        200,
        404,
        404,
        200,
        404,
        404,
        404,
        404,
    ],
    ("GET", "/goals/{goal_id}"): [200, 404, 404, 200, 404, 404, 200, 404],
    ("PATCH", "/goals/{goal_id}"): [200, 404, 404, 200, 404, 404, 403, 404],
    ("DELETE", "/goals/{goal_id}"): [204, 404, 404, 204, 404, 404, 403, 404],
    ("POST", "/goals/{goal_id}/steps"): [201, 404, 404, 201, 404, 404, 403, 404],
    ("GET", "/steps/{step_id}"): [200, 404, 404, 200, 404, 404, 200, 404],
    ("PATCH", "/steps/{step_id}"): [200, 404, 404, 200, 404, 404, 200, 404],
    ("DELETE", "/steps/{step_id}"): [204, 404, 404, 204, 404, 404, 403, 404],
    ("GET", "/young-people/{young_person_id}/safety-plan"): [
        200,
        404,
        404,
        200,
        404,
        404,
        404,
        404,
    ],
    ("PUT", "/young-people/{young_person_id}/safety-plan"): [
        200,
        404,
        404,
        200,
        404,
        404,
        404,
        404,
    ],
    ("GET", "/me/plan"): [403, 403, 403, 403, 403, 403, 200, 200],
    ("GET", "/me/safety-plan"): [403, 403, 403, 403, 403, 403, 200, 200],
    ("PUT", "/me/safety-plan"): [403, 403, 403, 403, 403, 403, 200, 200],
    ("GET", "/appointments/{appointment_id}"): [200, 404, 404, 200, 404, 404, 200, 404],
    ("PATCH", "/appointments/{appointment_id}"): [200, 404, 404, 200, 404, 404, 403, 404],
    ("POST", "/appointments/{appointment_id}/cancel"): [200, 404, 404, 200, 404, 404, 200, 404],
    ("POST", "/appointments/{appointment_id}/response"): [403, 404, 404, 403, 404, 404, 200, 404],
    ("POST", "/appointments/{appointment_id}/attendance"): [200, 404, 404, 200, 404, 404, 403, 404],
    ("GET", "/appointments"): [200, 403, 403, 200, 200, 403, 403, 403],
    ("POST", "/appointments"): [201, 403, 403, 201, 404, 403, 403, 403],
    ("GET", "/me/appointments"): [403, 403, 403, 403, 403, 403, 200, 200],
    ("GET", "/me/calendar-token"): [403, 403, 403, 403, 403, 403, 200, 200],
    ("GET", "/alerts"): [200, 403, 403, 200, 200, 403, 403, 403],
    ("GET", "/young-people/{young_person_id}/check-ins"): [200, 404, 404, 200, 404, 404, 404, 404],
    ("GET", "/young-people/{young_person_id}/check-in-schedule"): [
        200,
        404,
        404,
        200,
        404,
        404,
        404,
        404,
    ],
    ("PUT", "/young-people/{young_person_id}/check-in-schedule"): [
        200,
        404,
        404,
        200,
        404,
        404,
        404,
        404,
    ],
    ("POST", "/me/check-ins"): [403, 403, 403, 403, 403, 403, 201, 201],
    ("GET", "/me/check-ins"): [403, 403, 403, 403, 403, 403, 200, 200],
    ("GET", "/me/check-in-schedule"): [403, 403, 403, 403, 403, 403, 200, 200],
    ("POST", "/me/safety-timers"): [403, 403, 403, 403, 403, 403, 409, 201],
    ("POST", "/me/safety-timers/{timer_id}/safe"): [403, 403, 403, 403, 403, 403, 200, 404],
    ("GET", "/alerts/{alert_id}"): [200, 404, 404, 200, 404, 404, 404, 404],
    ("POST", "/alerts/{alert_id}/acknowledge"): [200, 404, 404, 200, 404, 404, 404, 404],
    ("POST", "/alerts/{alert_id}/resolve"): [200, 404, 404, 200, 404, 404, 404, 404],
    ("GET", "/me/export"): [403, 403, 403, 403, 403, 403, 200, 200],
    ("GET", "/me/access-log"): [403, 403, 403, 403, 403, 403, 200, 200],
    ("GET", "/me/consents"): [403, 403, 403, 403, 403, 403, 200, 200],
    ("POST", "/young-people/{young_person_id}/erasure"): [200, 404, 404, 403, 404, 404, 404, 404],
    ("GET", "/referrals"): [200, 200, 200, 403, 403, 403, 403, 403],
    ("POST", "/referrals"): [403, 201, 201, 403, 403, 403, 403, 403],
    ("GET", "/young-people"): [200, 403, 403, 200, 200, 403, 403, 403],
    ("GET", "/audit"): [403, 403, 403, 403, 403, 200, 403, 403],
    ("GET", "/young-people/{young_person_id}/status-history"): [
        200,
        404,
        404,
        200,
        404,
        404,
        404,
        404,
    ],
    ("GET", "/young-people/{young_person_id}/handovers"): [200, 404, 404, 200, 404, 404, 404, 404],
    ("POST", "/young-people/{young_person_id}/assignments/{assignment_id}/end"): [
        200,
        404,
        404,
        403,
        404,
        404,
        404,
        404,
    ],
    ("GET", "/me/help-requests"): [403, 403, 403, 403, 403, 403, 200, 200],
    ("GET", "/users"): [403, 403, 403, 403, 403, 200, 403, 403],
}

# A referrer or an admin may never use a route about a young person's case: 403 whatever
# the id (a young person finds nothing there: their own record is under /me).
# Likewise a mentor, an admin or a young person on a referral's routes.
for (_method, _path), _statuses in MATRIX.items():
    never = ()
    if _path.startswith(
        ("/young-people/{", "/alerts/{", "/goals/{", "/steps/{", "/appointments/{")
    ):
        never = ("referrer", "other_referrer", "admin")
    elif _path.startswith("/referrals/{"):
        never = ("mentor", "other_mentor", "admin", "young_person", "other_young_person")
    for _role in never:
        _statuses[ROLES.index(_role)] = 403


# Where a coordinator's 403 comes after the record was found (a coordinator may see it but
# not do this): to a coordinator who may not see it, it is not found.
_REFUSED_AFTER_FINDING = {
    ("POST", "/referrals/{referral_id}/withdraw"),
    ("POST", "/appointments/{appointment_id}/response"),
}


def _other_team(method: str, path: str, coordinator: int) -> int:
    """A coordinator of another team: what the coordinator may reach is not found, lists
    are their own team's (empty), and role gates answer as for any coordinator."""
    if (method, path) in _REFUSED_AFTER_FINDING:
        return 404
    if coordinator == 403 or path.startswith("/me"):
        return coordinator
    if "{" in path or (method, path) == ("POST", "/appointments"):
        return 404
    return coordinator


def _lead(method: str, coordinator: int) -> int:
    """A lead reads what a coordinator reads, in every team, and changes nothing."""
    if coordinator == 403 or method not in ("GET", "HEAD"):
        return 403
    return coordinator


ROLES += ["other_coordinator", "lead"]
for (_method, _path), _statuses in MATRIX.items():
    _statuses += [_other_team(_method, _path, _statuses[0]), _lead(_method, _statuses[0])]

BODIES = {
    "/referrals/{referral_id}/decision": {"decision": "accept"},
    "/young-people/{young_person_id}": {"phone": "07700 900555"},
    "/referrals": referral_body(),
    "/young-people/{young_person_id}/plan/goals": {
        "domain": "housing",
        "title": "New",
        "description": "",
    },
    "/goals/{goal_id}": {"title": "Renamed"},
    "/goals/{goal_id}/steps": {"title": "Another step"},
    "/steps/{step_id}": {"done": True},
    "/young-people/{young_person_id}/safety-plan": {"warning_signs": ["Can't sleep"]},
    "/me/safety-plan": {"warning_signs": ["Can't sleep"]},
    "/appointments/{appointment_id}": {"location": "Library"},
    "/appointments/{appointment_id}/cancel": {"reason": "Unwell"},
    "/appointments/{appointment_id}/response": {"response": "confirmed"},
    "/appointments/{appointment_id}/attendance": {"attended": True},
    "/young-people/{young_person_id}/check-in-schedule": {
        "days": ["mon"],
        "local_time": "18:00",
        "grace_minutes": 30,
        "active": True,
    },
    "/me/check-ins": {"client_ref": "m", "mood": 4, "feeling_safe": True, "needs_help": False},
    "/alerts/{alert_id}/resolve": {"note": "Called; all fine"},
    "/young-people/{young_person_id}/erasure": {"reason": "Asked to be forgotten"},
}

CASES = [
    pytest.param(method, path, role, expected, id=f"{method} {path} as {role}")
    for (method, path), statuses in MATRIX.items()
    for role, expected in zip(ROLES, statuses, strict=True)
]


@pytest.mark.parametrize(("method", "path", "role", "expected"), CASES)
def test_scope(world: World, make, method, path, role, expected):
    url = "/api/v1" + path.format(
        referral_id=world.referral_id,
        young_person_id=world.young_person_id,
        assignment_id=world.assignment_id,
        goal_id=world.goal_id,
        step_id=world.step_id,
        appointment_id=world.appointment_id,
        alert_id=world.alert_id,
        timer_id=world.timer_id,
    )
    body = BODIES.get(path)
    if path.endswith("/assignments") and method == "POST":
        body = {"mentor_id": str(world.other_mentor.user.id)}
    if path == "/me/safety-timers":
        body = {"expected_back_at": (datetime.now(UTC) + timedelta(hours=2)).isoformat()}
    if path == "/appointments" and method == "POST":
        mentor = world.other_mentor if role == "other_mentor" else world.mentor
        body = appointment_body(world.young_person_id, mentor, days=3)
    caller: Caller = getattr(world, role)
    headers = {"If-Match": "*"} if method in ("PATCH", "PUT") else {}
    if body:
        response = caller._send(method, url, json=body, headers=headers)
    else:
        response = caller._send(method, url, headers=headers)
    assert response.status_code == expected, response.get_json()
    if expected >= 400:
        error = response.get_json()
        assert error["code"] == expected and error["message"]
        # Nothing about the record leaks into a refusal.
        assert "Jordan" not in response.get_data(as_text=True)
        assert "housing" not in response.get_data(as_text=True)
