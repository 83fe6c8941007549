"""Schemathesis against the OpenAPI document, signed in as each role: no request is ever a
500, and every answer is one the document describes (status code, content type, headers
and body).

The app is called in-process (WSGI) on the suite's database, so this runs on SQLite and on
PostgreSQL alike. Generation is derandomized and small per operation (valid and invalid
input both), so a run is repeatable and bounded in time; a failure names the operation and
prints the request that found it.

Random ids only ever find nothing, so most generated ids (in the path and in bodies) are
swapped for those of real records — a young person with an assigned mentor, a referral, a
goal and step, an appointment, an alert, a safety timer, a notification, a device — and
most generated If-Match values for the resource's current ETag: the cases get past "not
found" and "precondition failed" into the handlers. The rest stay as generated and exercise
the 404s and 412s.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import Caller, Factory, Programme
from youthapp.clock import utcnow

OPENAPI = "/api/v1/openapi.json"
ROLES = ("admin", "coordinator", "mentor", "referrer", "young_person")
# Operations that need no sign-in (health, content, login, activation, the calendar feed)
# are fuzzed once, without a token; every other one once per role.
ANONYMOUS = "anonymous"
# Signing out or refreshing would end the session the rest of the run relies on: those
# cases get a session of their own.
OWN_SESSION = {"/api/v1/auth/logout": "access_token", "/api/v1/auth/refresh": "refresh_token"}
# Per operation and role; FUZZ_MAX_EXAMPLES=200 makes a deeper run by hand. The operations
# open to anyone (sign-in, activation, the calendar feed) are few and exposed: four times as
# many for them.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "20"))
ANONYMOUS_FACTOR = 4
PAGINATION_FIELDS = {
    "total",
    "total_pages",
    "first_page",
    "last_page",
    "page",
    "previous_page",
    "next_page",
}


@schemathesis.check
def pagination_header_is_json(ctx, response, case) -> bool | None:
    """X-Pagination is documented as JSON (a header schema cannot say so to Schemathesis)."""
    raw = response.headers.get("x-pagination")
    if not raw:
        return None
    metadata = json.loads(raw[0])
    assert isinstance(metadata, dict) and set(metadata) <= PAGINATION_FIELDS, raw
    assert all(isinstance(value, int) for value in metadata.values()), raw
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    pagination_header_is_json,
    # What the document calls invalid is refused (its limits are the ones enforced).
    negative_data_rejection,
]
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20260101,
        "generation": {
            "deterministic": True,
            "database": "none",
            # The bearer token is ours (below), not a generated one.
            "with-security-parameters": False,
        },
    }
)


@dataclass
class World:
    """The records a role's run can reach, whose token it sends, and what it was answered."""

    caller: Caller | None
    factory: Factory
    ids: dict[str, str] = field(default_factory=dict)
    # (method, path) -> ids for operations whose target must not be one the rest of the run
    # needs (erasing the young person, archiving the goal...).
    spare_ids: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    answered: collections.Counter = field(default_factory=collections.Counter)

    def headers_for(self, path: str) -> dict[str, str]:
        # Schemathesis reads the body as sent: it must not be compressed (tests/api/
        # test_compression.py checks compression itself).
        plain = {"Accept-Encoding": "identity"}
        if self.caller is None:
            return plain
        if path in OWN_SESSION:
            tokens = self.factory.login(self.caller.user.email)
            return {**plain, "Authorization": f"Bearer {tokens[OWN_SESSION[path]]}"}
        return {**plain, **self.caller.headers}

    def known_ids(self, method: str, path: str) -> dict[str, str]:
        return {**self.ids, **self.spare_ids.get((method.upper(), path), {})}


def swap(name: str, value: Any) -> bool:
    """Swap two generated values in three for real ones; the choice hangs on the value, so
    a derandomized run makes the same choices every time. Only a value of the right shape is
    swapped: a deliberately invalid one (a negative case) stays invalid."""
    if not isinstance(value, str):
        return False
    if name.endswith("_id"):
        try:
            uuid.UUID(value)
        except ValueError:
            return False
    return hashlib.sha256(value.encode()).digest()[0] % 3 != 0


def build_world(role: str, make: Factory, programme: Programme) -> World:
    coordinator = make.caller("coordinator")
    mentor = make.caller("mentor", specialty="housing")
    spare_mentor = make.caller("mentor", specialty="employment")
    referrer = make.caller("referrer")
    admin = make.caller("admin")
    person_id, young_person = programme.young_person(coordinator)
    assignment = programme.assign(coordinator, person_id, mentor)
    spare_assignment = programme.assign(coordinator, person_id, spare_mentor)
    spare_person_id, _ = programme.young_person(coordinator)
    referral = programme.refer(referrer)

    def goal() -> dict[str, Any]:
        return coordinator.post(
            f"/api/v1/young-people/{person_id}/plan/goals",
            json={"domain": "housing", "title": "Somewhere safe", "description": "A flat."},
        ).get_json()

    def step(goal_id: str) -> dict[str, Any]:
        return coordinator.post(f"/api/v1/goals/{goal_id}/steps", json={"title": "Form"}).get_json()

    main_goal, spare_goal = goal(), goal()
    main_step, spare_step = step(main_goal["id"]), step(main_goal["id"])
    starts_at = (utcnow() + timedelta(days=3)).replace(microsecond=0).isoformat()
    appointment = coordinator.post(
        "/api/v1/appointments",
        json={
            "young_person_id": person_id,
            "mentor_id": str(mentor.user.id),
            "starts_at": starts_at,
            "duration_minutes": 60,
            "mode": "in_person",
        },
    ).get_json()
    young_person.post(
        "/api/v1/me/check-ins",
        json={"client_ref": "fuzz-1", "mood": 1, "feeling_safe": False, "needs_help": True},
    )
    alert = coordinator.get("/api/v1/alerts").get_json()[0]
    back = (utcnow() + timedelta(hours=2)).replace(microsecond=0).isoformat()
    timer = young_person.post("/api/v1/me/safety-timers", json={"expected_back_at": back})
    feed_url = young_person.get("/api/v1/me/calendar-token").get_json()["url"]

    caller = {
        "admin": admin,
        "coordinator": coordinator,
        "mentor": mentor,
        "referrer": referrer,
        "young_person": young_person,
        ANONYMOUS: None,
    }[role]
    ids = {
        "young_person_id": person_id,
        "mentor_id": str(mentor.user.id),
        "assignment_id": assignment["id"],
        "referral_id": referral["id"],
        "goal_id": main_goal["id"],
        "step_id": main_step["id"],
        "appointment_id": appointment["id"],
        "alert_id": alert["id"],
        "timer_id": timer.get_json()["id"],
        # Another user than the caller: an admin's run must not switch itself off.
        "user_id": str((referrer if role == "admin" else admin).user.id),
        "slug": "if-you-might-lose-your-home",
        "token": feed_url.rsplit("/", 1)[-1].removesuffix(".ics"),
    }
    if caller is not None:
        notifications = caller.get("/api/v1/me/notifications").get_json()
        if notifications:
            ids["notification_id"] = notifications[0]["id"]
        push_token = f"fuzz{role}:APA91bH-example-registration-token-" + "x" * 100
        device = caller.post(
            "/api/v1/me/devices", json={"platform": "android", "push_token": push_token}
        )
        assert device.status_code == 201, device.get_json()
        ids["device_id"] = device.get_json()["id"]
    spares = {
        ("POST", "/api/v1/young-people/{young_person_id}/erasure"): {
            "young_person_id": spare_person_id
        },
        ("DELETE", "/api/v1/young-people/{young_person_id}/assignments/{assignment_id}"): {
            "assignment_id": spare_assignment["id"]
        },
        ("DELETE", "/api/v1/goals/{goal_id}"): {"goal_id": spare_goal["id"]},
        ("DELETE", "/api/v1/steps/{step_id}"): {"step_id": spare_step["id"]},
    }
    return World(caller, make, ids, spares)


def aim(case, world: World) -> None:
    """Point the case at real records most of the time (see the module's docstring)."""
    known = world.known_ids(case.method, case.operation.path)
    if case.path_parameters:
        case.path_parameters = {
            name: known[name] if name in known and swap(name, value) else value
            for name, value in case.path_parameters.items()
        }
    if isinstance(case.body, dict):
        case.body = {
            name: known[name] if name in known and swap(name, value) else value
            for name, value in case.body.items()
        }
    tag = (case.headers or {}).get("If-Match")
    if world.caller and isinstance(tag, str) and tag and swap("If-Match", tag):
        # The current ETag, read the way a client would.
        current = world.caller.get(case.formatted_path)
        if current.status_code == 200 and current.headers.get("ETag"):
            case.headers["If-Match"] = current.headers["ETag"]


def fuzz(operation, world: World, max_examples: int) -> None:
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        # No shrinking: the request that failed is reported as found, and time stays bounded.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
        ],
    )
    @given(case=strategy)
    def call(case):
        aim(case, world)
        response = case.call_and_validate(headers=world.headers_for(operation.path), checks=CHECKS)
        world.answered[response.status_code] += 1

    call()


@pytest.mark.parametrize("role", (ANONYMOUS, *ROLES))
def test_every_answer_is_documented_and_none_is_a_server_error(app, make, programme, role):
    world = build_world(role, make, programme)
    schema = schemathesis.openapi.from_wsgi(OPENAPI, app, config=CONFIG)
    failures: list[str] = []
    fuzzed = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        signed_in = bool(operation.definition.raw.get("security"))
        if signed_in == (role == ANONYMOUS):
            continue
        fuzzed += 1
        try:
            fuzz(operation, world, MAX_EXAMPLES * (ANONYMOUS_FACTOR if role == ANONYMOUS else 1))
        except (Exception, BaseExceptionGroup) as error:  # every operation is reported
            failures.append(f"{operation.label}:\n{error}")
    assert not failures, "\n\n".join(failures)
    assert fuzzed >= 9
    # The run reached the handlers with a working session throughout.
    succeeded = sum(count for status, count in world.answered.items() if status < 300)
    assert succeeded >= 10, world.answered
    if role != ANONYMOUS:
        assert world.answered[401] == 0, world.answered
