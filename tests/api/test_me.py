"""The caller's own account (/me) and app preferences (/me/preferences)."""

from __future__ import annotations

import pytest

from tests.conftest import Caller

ME = "/api/v1/me"
PREFERENCES = "/api/v1/me/preferences"
DEFAULTS = {
    "discreet_mode": True,
    "location_sharing": False,
    "quiet_hours": None,
    "language": "en",
    "timezone": "Europe/London",
}


@pytest.fixture
def enrolled(programme, as_role) -> tuple[str, Caller]:
    """(young_person_id, the signed-in young person): referred, accepted and activated."""
    return programme.young_person(as_role("coordinator"))


@pytest.fixture
def young_person(enrolled) -> Caller:
    return enrolled[1]


# --- /me -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "details"),
    [
        ("admin", {}),
        ("coordinator", {}),
        ("mentor", {"specialty": "substance_misuse"}),
        (
            "referrer",
            {"referrer_type": "care_worker", "organisation": "Lambeth Children's Services"},
        ),
    ],
)
def test_me_for_each_staff_role(as_role, role, details):
    caller = as_role(role, **details)
    response = caller.get(ME)
    assert response.status_code == 200
    assert response.headers.get("ETag")
    body = response.get_json()
    assert body["id"] == str(caller.user.id)
    assert body["email"] == caller.user.email
    assert body["role"] == role
    assert body["display_name"] == caller.user.display_name
    assert body["is_active"] is True
    for name in ("specialty", "referrer_type", "organisation"):
        assert body[name] == details.get(name)
    assert body["preferences"] == DEFAULTS
    assert body["created_at"].endswith("Z")
    assert body.get("young_person_id") is None
    assert "password" not in body and "password_hash" not in body


def test_me_for_a_young_person_names_their_record(enrolled):
    young_person_id, young_person = enrolled
    response = young_person.get(ME)
    assert response.status_code == 200
    assert response.headers.get("ETag")
    body = response.get_json()
    assert body["id"] == str(young_person.user.id)
    assert body["email"] == young_person.user.email
    assert body["role"] == "young_person"
    assert body["young_person_id"] == young_person_id
    assert body["preferences"] == DEFAULTS
    assert "password_hash" not in body


def test_me_needs_a_sign_in(client):
    response = client.get(ME)
    assert response.status_code == 401
    assert response.get_json()["code"] == 401
    assert client.get(PREFERENCES).status_code == 401
    assert client.put(PREFERENCES, json={"discreet_mode": False}).status_code == 401


# --- /me/preferences ---------------------------------------------------------------------


def test_preferences_start_private(young_person):
    response = young_person.get(PREFERENCES)
    assert response.status_code == 200
    assert response.get_json() == DEFAULTS


def test_a_partial_update_keeps_the_other_values(young_person):
    first = young_person.put(PREFERENCES, json={"location_sharing": True, "language": "pl"})
    assert first.status_code == 200
    assert first.get_json() == {**DEFAULTS, "location_sharing": True, "language": "pl"}

    second = young_person.put(PREFERENCES, json={"discreet_mode": False})
    expected = {**DEFAULTS, "location_sharing": True, "language": "pl", "discreet_mode": False}
    assert second.get_json() == expected
    assert young_person.get(PREFERENCES).get_json() == expected
    assert young_person.get(ME).get_json()["preferences"] == expected


def test_preferences_are_each_users_own(young_person, as_role):
    mentor = as_role("mentor")
    young_person.put(PREFERENCES, json={"timezone": "Europe/Warsaw"})
    assert mentor.get(PREFERENCES).get_json() == DEFAULTS


def test_quiet_hours_round_trip_and_null_clears_them(young_person):
    quiet = {"start": "22:00", "end": "07:00"}
    response = young_person.put(PREFERENCES, json={"quiet_hours": quiet})
    assert response.status_code == 200
    assert response.get_json()["quiet_hours"] == quiet
    assert young_person.get(PREFERENCES).get_json()["quiet_hours"] == quiet

    # Changing something else leaves them alone.
    young_person.put(PREFERENCES, json={"language": "so"})
    assert young_person.get(PREFERENCES).get_json()["quiet_hours"] == quiet

    cleared = young_person.put(PREFERENCES, json={"quiet_hours": None})
    assert cleared.status_code == 200
    assert cleared.get_json()["quiet_hours"] is None
    assert young_person.get(PREFERENCES).get_json() == {**DEFAULTS, "language": "so"}


def test_a_valid_timezone_is_kept(young_person):
    response = young_person.put(PREFERENCES, json={"timezone": "America/Argentina/Buenos_Aires"})
    assert response.status_code == 200
    assert young_person.get(PREFERENCES).get_json()["timezone"] == "America/Argentina/Buenos_Aires"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quiet_hours": {"start": "25:99", "end": "07:00"}}, "quiet_hours"),
        ({"quiet_hours": {"start": "22:00", "end": "7am"}}, "quiet_hours"),
        ({"quiet_hours": {"start": "22:00", "end": "22:00"}}, "quiet_hours"),
        ({"quiet_hours": {"start": "22:00"}}, "quiet_hours"),
        ({"quiet_hours": {"start": "22:00", "end": "07:00", "days": "weekends"}}, "quiet_hours"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "europe/london"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"timezone": "localtime"}, "timezone"),  # the server's zone, not a place
        ({"timezone": "a/" * 40 + "b"}, "timezone"),
        ({"timezone": "a/" * 3000 + "b"}, "timezone"),  # deep enough to break a zone lookup
        ({"language": "English"}, "language"),
        ({"language": "en\n"}, "language"),
        ({"language": "en-" + "-".join(["abcdefgh"] * 20)}, "language"),  # longer than stored
        ({"discreet_mode": "sometimes"}, "discreet_mode"),
        ({"discreet_mode": None}, "discreet_mode"),
        ({"theme": "dark"}, "theme"),
    ],
)
def test_invalid_preferences_are_refused_and_nothing_changes(young_person, body, field):
    young_person.put(PREFERENCES, json={"location_sharing": True})
    response = young_person.put(
        PREFERENCES, json={"discreet_mode": False, **body} if field != "discreet_mode" else body
    )
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert young_person.get(PREFERENCES).get_json() == {**DEFAULTS, "location_sharing": True}
