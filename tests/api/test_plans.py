"""Support plans through HTTP: mentors build, young people read and tick, no lost updates."""

from __future__ import annotations

import pytest

from tests.conftest import Caller


@pytest.fixture
def setting(as_role, programme):
    coordinator = as_role("coordinator")
    mentor = as_role("mentor", specialty="housing")
    person_id, young_person = programme.young_person(coordinator)
    programme.assign(coordinator, person_id, mentor)
    return coordinator, mentor, person_id, young_person


def add_goal(staff: Caller, person_id: str, **overrides) -> dict:
    body = {
        "domain": "housing",
        "title": "Find somewhere safe to live",
        "description": "Work with the council on a housing application.",
        "staff_notes": "Mum's partner is a risk; do not share the address.",
        **overrides,
    }
    response = staff.post(f"/api/v1/young-people/{person_id}/plan/goals", json=body)
    assert response.status_code == 201, response.get_json()
    assert response.headers["ETag"]
    return response.get_json()


def add_step(staff: Caller, goal_id: str, title: str = "Fill in the housing form") -> dict:
    response = staff.post(f"/api/v1/goals/{goal_id}/steps", json={"title": title})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_the_plan_journey(setting):
    coordinator, mentor, person_id, young_person = setting
    housing = add_goal(mentor, person_id)
    health = add_goal(
        mentor,
        person_id,
        domain="mental_health",
        title="Sleep better",
        description="Try the wind-down routine.",
    )
    work = add_goal(
        coordinator,
        person_id,
        domain="employment",
        title="Get a Saturday job",
        description="",
        target_date="2027-03-01",
    )
    step = add_step(mentor, housing["id"])
    add_step(mentor, housing["id"], "Go to the housing office with Hana")

    plan = young_person.get("/api/v1/me/plan")
    assert plan.status_code == 200
    body = plan.get_json()
    assert [g["id"] for g in body["goals"]] == [housing["id"], health["id"], work["id"]]
    assert [s["title"] for s in body["goals"][0]["steps"]] == [
        "Fill in the housing form",
        "Go to the housing office with Hana",
    ]
    assert "staff_notes" not in plan.get_data(as_text=True)
    assert "do not share the address" not in plan.get_data(as_text=True)

    current = young_person.get(f"/api/v1/steps/{step['id']}")
    ticked = young_person.patch(
        f"/api/v1/steps/{step['id']}",
        json={"done": True},
        headers={"If-Match": current.headers["ETag"]},
    )
    assert ticked.status_code == 200
    assert ticked.get_json()["done"] is True and ticked.get_json()["done_at"]

    seen = mentor.get(f"/api/v1/young-people/{person_id}/plan").get_json()
    assert seen["goals"][0]["steps"][0]["done"] is True
    assert seen["goals"][0]["staff_notes"].startswith("Mum's partner")

    history = mentor.get(f"/api/v1/young-people/{person_id}/plan/history?page_size=100").get_json()
    ticks = [h for h in history if h["action"] == "ticked"]
    assert len(ticks) == 1
    assert ticks[0]["actor_id"] == str(young_person.user.id)
    assert ticks[0]["changes"] == {"done": [False, True]}
    authors = {h["actor_id"] for h in history if h["action"] == "created"}
    assert authors == {str(mentor.user.id), str(coordinator.user.id)}


def test_a_stale_save_is_refused_and_nothing_is_overwritten(setting, as_role):
    coordinator, mentor, person_id, _ = setting
    goal = add_goal(mentor, person_id)
    url = f"/api/v1/goals/{goal['id']}"
    tag = mentor.get(url).headers["ETag"]
    first = mentor.patch(url, json={"title": "Find a flat"}, headers={"If-Match": tag})
    assert first.status_code == 200
    assert first.headers["ETag"] != tag
    second = coordinator.patch(url, json={"title": "Find a room"}, headers={"If-Match": tag})
    assert second.status_code == 412
    assert second.get_json()["code"] == 412
    assert mentor.get(url).get_json()["title"] == "Find a flat"
    missing = coordinator.patch(url, json={"title": "Find a room"})
    assert missing.status_code == 428


def test_if_none_match_gives_304(setting):
    _, mentor, person_id, young_person = setting
    goal = add_goal(mentor, person_id)
    for caller, url in (
        (mentor, f"/api/v1/goals/{goal['id']}"),
        (young_person, "/api/v1/me/plan"),
        (mentor, f"/api/v1/young-people/{person_id}/plan"),
    ):
        first = caller.get(url)
        again = caller.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, url
        assert again.get_data() == b""
    plan_tag = young_person.get("/api/v1/me/plan").headers["ETag"]
    add_step(mentor, goal["id"])
    changed = young_person.get("/api/v1/me/plan", headers={"If-None-Match": plan_tag})
    assert changed.status_code == 200


def test_a_young_person_may_only_tick(setting):
    _, mentor, person_id, young_person = setting
    goal = add_goal(mentor, person_id)
    step = add_step(mentor, goal["id"])
    tag = young_person.get(f"/api/v1/steps/{step['id']}").headers["ETag"]
    retitle = young_person.patch(
        f"/api/v1/steps/{step['id']}", json={"title": "Nothing"}, headers={"If-Match": tag}
    )
    assert retitle.status_code == 403
    goal_tag = young_person.get(f"/api/v1/goals/{goal['id']}").headers["ETag"]
    assert (
        young_person.patch(
            f"/api/v1/goals/{goal['id']}",
            json={"status": "achieved"},
            headers={"If-Match": goal_tag},
        ).status_code
        == 403
    )
    assert (
        young_person.post(f"/api/v1/goals/{goal['id']}/steps", json={"title": "x"}).status_code
        == 403
    )
    own_goal = young_person.get(f"/api/v1/goals/{goal['id']}")
    assert own_goal.status_code == 200 and "staff_notes" not in own_goal.get_json()


def test_archiving_and_reordering(setting):
    _, mentor, person_id, young_person = setting
    first, second, third = (add_goal(mentor, person_id, title=t) for t in ("One", "Two", "Three"))
    url = f"/api/v1/goals/{third['id']}"
    moved = mentor.patch(
        url, json={"position": 0}, headers={"If-Match": mentor.get(url).headers["ETag"]}
    )
    assert moved.status_code == 200
    titles = [g["title"] for g in young_person.get("/api/v1/me/plan").get_json()["goals"]]
    assert titles == ["Three", "One", "Two"]
    assert mentor.delete(f"/api/v1/goals/{first['id']}").status_code == 204
    titles = [g["title"] for g in young_person.get("/api/v1/me/plan").get_json()["goals"]]
    assert titles == ["Three", "Two"]
    assert mentor.get(f"/api/v1/goals/{first['id']}").status_code == 404
    history = mentor.get(f"/api/v1/young-people/{person_id}/plan/history").get_json()
    assert any(h["action"] == "archived" and h["object_id"] == first["id"] for h in history)


def test_the_young_person_is_told_discreetly_once_per_batch_of_changes(setting):
    _, mentor, person_id, young_person = setting
    add_goal(mentor, person_id)
    add_goal(mentor, person_id, title="Another")
    inbox = young_person.get("/api/v1/me/notifications").get_json()
    assert len(inbox) == 1
    assert inbox[0]["kind"] == "plan_updated"
    assert inbox[0]["title"] == "You have a new message"
    assert "plan" not in inbox[0]["body"].lower()
    read = young_person.post(f"/api/v1/me/notifications/{inbox[0]['id']}/read")
    assert read.status_code == 200 and read.get_json()["read_at"]
    add_goal(mentor, person_id, title="Third")
    assert len(young_person.get("/api/v1/me/notifications?unread=true").get_json()) == 1


def test_length_limits_and_domains(setting):
    _, mentor, person_id, _ = setting
    url = f"/api/v1/young-people/{person_id}/plan/goals"
    base = {"domain": "housing", "title": "t", "description": ""}
    assert mentor.post(url, json={**base, "title": "x" * 121}).status_code == 422
    assert mentor.post(url, json={**base, "description": "x" * 1001}).status_code == 422
    assert mentor.post(url, json={**base, "domain": "crime"}).status_code == 422
    assert mentor.post(url, json={**base, "title": "   "}).status_code == 422


@pytest.mark.parametrize("shape", [(1, 1), (50, 10)])
def test_reading_a_plan_costs_the_same_queries_at_any_size(setting, count_queries, db, app, shape):
    _, mentor, person_id, young_person = setting
    goals, steps = shape
    for g in range(goals):
        goal = add_goal(mentor, person_id, title=f"Goal {g}")
        for s in range(steps):
            add_step(mentor, goal["id"], f"Step {s}")
    budgets = {}
    for name, caller, url in (
        ("me", young_person, "/api/v1/me/plan"),
        ("staff", mentor, f"/api/v1/young-people/{person_id}/plan"),
    ):
        with count_queries() as counted:
            response = caller.get(url)
        assert len(response.get_json()["goals"]) == goals
        budgets[name] = counted.count
    assert budgets["me"] <= 4, budgets
    assert budgets["staff"] <= 6, budgets


@pytest.mark.parametrize(
    "offered",
    ['W/"{v}"', '"{v}"', '"nope", W/"{v}"', "*", '"x", "{v}"'],
    ids=["weak", "strong", "list with weak", "star", "list"],
)
def test_if_none_match_on_a_goal_reads_as_rfc_9110_says(setting, offered):
    """The same reading of If-None-Match as on content: weak tags match, `*` matches."""
    _, mentor, person_id, _ = setting
    goal = mentor.post(
        f"/api/v1/young-people/{person_id}/plan/goals",
        json={"domain": "housing", "title": "Flat", "description": ""},
    )
    tag = goal.headers["ETag"].strip('"')
    url = f"/api/v1/goals/{goal.get_json()['id']}"
    again = mentor.get(url, headers={"If-None-Match": offered.format(v=tag)})
    assert again.status_code == 304 and again.headers["ETag"] == f'"{tag}"'
    other = mentor.get(url, headers={"If-None-Match": '"999", W/"998"'})
    assert other.status_code == 200
