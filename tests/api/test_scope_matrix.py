"""Every role against every referral and young-person endpoint, in and out of scope.

Out of scope is 404 (existence does not leak); a record the caller can see but may not
change is 403; a role that may never use a collection endpoint is 403.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@pytest.fixture
def world(as_role, programme) -> World:
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
    return World(
        coordinator=coordinator,
        referrer=referrer,
        other_referrer=as_role("referrer"),
        mentor=mentor,
        other_mentor=as_role("mentor"),
        admin=as_role("admin"),
        young_person=programme.activate(accepted),
        other_young_person=other_young_person,
        referral_id=pending["id"],
        young_person_id=person_id,
        assignment_id=assignment["id"],
    )


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
    ("GET", "/referrals"): [200, 200, 200, 403, 403, 403, 403, 403],
    ("POST", "/referrals"): [403, 201, 201, 403, 403, 403, 403, 403],
    ("GET", "/young-people"): [200, 403, 403, 200, 200, 403, 403, 403],
    ("GET", "/audit"): [403, 403, 403, 403, 403, 200, 403, 403],
    ("GET", "/users"): [403, 403, 403, 403, 403, 200, 403, 403],
}

BODIES = {
    "/referrals/{referral_id}/decision": {"decision": "accept"},
    "/young-people/{young_person_id}": {"phone": "07700 900555"},
    "/referrals": referral_body(),
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
    )
    body = BODIES.get(path)
    if path.endswith("/assignments") and method == "POST":
        body = {"mentor_id": str(world.other_mentor.user.id)}
    caller: Caller = getattr(world, role)
    response = caller._send(method, url, json=body) if body else caller._send(method, url)
    assert response.status_code == expected, response.get_json()
    if expected >= 400:
        error = response.get_json()
        assert error["code"] == expected and error["message"]
        # Nothing about the record leaks into a refusal.
        assert "Jordan" not in response.get_data(as_text=True)
