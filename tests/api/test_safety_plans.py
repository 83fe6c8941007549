"""The safety plan a young person writes with their mentor, through HTTP."""

from __future__ import annotations

SECTIONS = [
    "warning_signs",
    "coping_strategies",
    "safe_places_and_people",
    "people_to_ask_for_help",
    "professionals_to_contact",
    "making_things_safer",
    "reasons_to_stay_safe",
]


def test_before_the_first_save_it_is_empty_with_an_etag(as_role, programme):
    _, young_person = programme.young_person(as_role("coordinator"))
    response = young_person.get("/api/v1/me/safety-plan")
    assert response.status_code == 200
    assert response.headers["ETag"]
    body = response.get_json()
    assert all(body[name] == [] for name in SECTIONS)
    assert body["updated_at"] is None


def test_written_together_with_no_lost_update(as_role, programme):
    coordinator, mentor = as_role("coordinator"), as_role("mentor")
    person_id, young_person = programme.young_person(coordinator)
    programme.assign(coordinator, person_id, mentor)
    staff_url = f"/api/v1/young-people/{person_id}/safety-plan"

    tag = young_person.get("/api/v1/me/safety-plan").headers["ETag"]
    assert (
        young_person.put("/api/v1/me/safety-plan", json={"warning_signs": ["x"]}).status_code == 428
    )
    saved = young_person.put(
        "/api/v1/me/safety-plan",
        headers={"If-Match": tag},
        json={
            "warning_signs": ["Staying in my room all day"],
            "reasons_to_stay_safe": ["My little sister"],
        },
    )
    assert saved.status_code == 200
    assert saved.get_json()["reasons_to_stay_safe"] == ["My little sister"]

    stale = mentor.put(staff_url, headers={"If-Match": tag}, json={"coping_strategies": ["Music"]})
    assert stale.status_code == 412
    fresh = mentor.get(staff_url)
    assert fresh.get_json()["warning_signs"] == ["Staying in my room all day"]
    updated = mentor.put(
        staff_url,
        headers={"If-Match": fresh.headers["ETag"]},
        json={"coping_strategies": ["Music", "Football at the youth club"]},
    )
    assert updated.status_code == 200
    # Sections left out keep their entries.
    assert updated.get_json()["reasons_to_stay_safe"] == ["My little sister"]
    assert young_person.get("/api/v1/me/safety-plan").get_json()["coping_strategies"] == [
        "Music",
        "Football at the youth club",
    ]

    history = mentor.get(f"/api/v1/young-people/{person_id}/plan/history").get_json()
    changes = [h for h in history if h["object_type"] == "safety_plan"]
    assert [h["actor_id"] for h in changes] == [str(mentor.user.id), str(young_person.user.id)]
    assert changes[0]["changes"] == {
        "coping_strategies": [[], ["Music", "Football at the youth club"]]
    }
    inbox = young_person.get("/api/v1/me/notifications").get_json()
    assert [n["kind"] for n in inbox] == ["plan_updated"]


def test_entries_are_short_and_sections_are_known(as_role, programme):
    _, young_person = programme.young_person(as_role("coordinator"))
    tag = young_person.get("/api/v1/me/safety-plan").headers["ETag"]
    for body in (
        {"warning_signs": ["x" * 201]},
        {"warning_signs": ["ok"] * 21},
        {"warning_signs": [""]},
        {"favourite_food": ["chips"]},
        {"warning_signs": "x"},
    ):
        response = young_person.put("/api/v1/me/safety-plan", headers={"If-Match": tag}, json=body)
        assert response.status_code == 422, body
    assert young_person.get("/api/v1/me/safety-plan").get_json()["warning_signs"] == []
