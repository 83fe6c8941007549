"""Appointments through HTTP: booking, answers, changes, attendance, alerts, calendar feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import vobject

from tests.conftest import Caller

APPOINTMENTS = "/api/v1/appointments"


@pytest.fixture
def setting(as_role, programme):
    coordinator = as_role("coordinator")
    mentor = as_role("mentor", specialty="housing")
    person_id, young_person = programme.young_person(coordinator)
    programme.assign(coordinator, person_id, mentor)
    return coordinator, mentor, person_id, young_person


def soon(days: float = 3, hour: int = 15) -> str:
    moment = (datetime.now(UTC) + timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )
    return moment.isoformat()


def book(
    staff: Caller, person_id: str, mentor: Caller, starts_at: str, *, expect: int = 201, **overrides
) -> dict:
    body = {
        "young_person_id": person_id,
        "mentor_id": str(mentor.user.id),
        "starts_at": starts_at,
        "duration_minutes": 60,
        "mode": "in_person",
        "location": "Hackney youth hub, Mare Street",
        "notes_for_young_person": "Bring your letter from the council.",
        "staff_notes": "Check in about the brother's release date.",
        **overrides,
    }
    response = staff.post(APPOINTMENTS, json=body)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def assert_booking(*args, **kwargs) -> dict:
    """Book and assert the status (`expect`, 201 by default)."""
    return book(*args, **kwargs)


def kinds(caller: Caller) -> list[str]:
    return [n["kind"] for n in caller.get("/api/v1/me/notifications").get_json()]


def test_book_confirm_reschedule_cancel(setting):
    coordinator, mentor, person_id, young_person = setting
    booked = book(mentor, person_id, mentor, soon())
    assert booked["status"] == "scheduled" and booked["young_person_response"] == "pending"

    mine = young_person.get("/api/v1/me/appointments").get_json()
    assert [a["id"] for a in mine] == [booked["id"]]
    assert "staff_notes" not in mine[0]
    assert "brother" not in young_person.get(f"{APPOINTMENTS}/{booked['id']}").get_data(
        as_text=True
    )
    assert kinds(young_person) == ["appointment_booked"]

    confirmed = young_person.post(
        f"{APPOINTMENTS}/{booked['id']}/response", json={"response": "confirmed"}
    )
    assert confirmed.status_code == 200
    assert confirmed.get_json()["young_person_response"] == "confirmed"
    assert kinds(mentor) == ["appointment_response"]

    url = f"{APPOINTMENTS}/{booked['id']}"
    tag = mentor.get(url).headers["ETag"]
    moved = mentor.patch(url, json={"starts_at": soon(4)}, headers={"If-Match": tag})
    assert moved.status_code == 200
    assert moved.get_json()["young_person_response"] == "pending"  # a new time, a new answer
    assert (
        mentor.patch(url, json={"starts_at": soon(5)}, headers={"If-Match": tag}).status_code == 412
    )
    assert mentor.patch(url, json={"starts_at": soon(5)}).status_code == 428
    assert kinds(young_person)[0] == "appointment_changed"

    cancelled = young_person.post(f"{url}/cancel", json={"reason": "I have an exam"})
    assert cancelled.status_code == 200
    assert cancelled.get_json()["status"] == "cancelled"
    assert kinds(mentor)[0] == "appointment_cancelled"
    assert young_person.post(f"{url}/cancel", json={"reason": "again"}).status_code == 409


def test_notifications_to_a_young_person_are_discreet(setting):
    _, mentor, person_id, young_person = setting
    book(mentor, person_id, mentor, soon())
    notice = young_person.get("/api/v1/me/notifications").get_json()[0]
    assert (notice["title"], notice["body"]) == (
        "You have a new message",
        "Open the app to read it.",
    )


def test_attendance_only_after_the_start_and_a_miss_alerts_the_right_staff(
    setting, as_role, programme
):
    coordinator, mentor, person_id, young_person = setting
    other_mentor = as_role("mentor")
    other_person, _ = programme.young_person(coordinator)
    programme.assign(coordinator, other_person, other_mentor)

    future = book(mentor, person_id, mentor, soon())
    early = mentor.post(f"{APPOINTMENTS}/{future['id']}/attendance", json={"attended": False})
    assert early.status_code == 409

    past = book(mentor, person_id, mentor, soon(days=-2))  # recorded after the fact
    assert kinds(young_person) == ["appointment_booked"]  # only the future one was announced
    attended = mentor.post(f"{APPOINTMENTS}/{past['id']}/attendance", json={"attended": True})
    assert attended.get_json()["status"] == "attended"
    assert mentor.get("/api/v1/alerts").get_json() == []

    missed = book(mentor, person_id, mentor, soon(days=-1))
    response = mentor.post(f"{APPOINTMENTS}/{missed['id']}/attendance", json={"attended": False})
    assert response.get_json()["status"] == "missed"
    for staff in (mentor, coordinator):
        seen = staff.get("/api/v1/alerts").get_json()
        assert [(a["kind"], a["young_person_id"]) for a in seen] == [
            ("missed_appointment", person_id)
        ]
        assert "alert" in kinds(staff)
    assert other_mentor.get("/api/v1/alerts").get_json() == []
    assert "alert" not in kinds(other_mentor)
    assert young_person.get("/api/v1/alerts").status_code == 403
    assert "alert" not in kinds(young_person)
    # Recording the miss again raises no second alert.
    mentor.post(f"{APPOINTMENTS}/{missed['id']}/attendance", json={"attended": False})
    assert len(coordinator.get("/api/v1/alerts").get_json()) == 1


def test_no_double_booking_for_mentor_or_young_person(setting, as_role, programme):
    coordinator, mentor, person_id, _ = setting
    second_mentor = as_role("mentor", specialty="mental_health")
    programme.assign(coordinator, person_id, second_mentor)
    other_person, _ = programme.young_person(coordinator)
    programme.assign(coordinator, other_person, mentor)

    first = assert_booking(mentor, person_id, mentor, soon(hour=15))
    assert_booking(
        mentor, other_person, mentor, soon(hour=15).replace("15:00", "15:30"), expect=409
    )
    assert_booking(
        coordinator, person_id, second_mentor, soon(hour=15).replace("15:00", "15:45"), expect=409
    )
    assert_booking(mentor, other_person, mentor, soon(hour=16))  # back to back is fine
    coordinator.post(f"{APPOINTMENTS}/{first['id']}/cancel", json={"reason": "ill"})
    assert_booking(
        coordinator, person_id, second_mentor, soon(hour=15)
    )  # a cancelled one frees the slot


def test_booking_rules(setting, as_role, make):
    coordinator, mentor, person_id, _ = setting
    unassigned = as_role("mentor")
    assert_booking(coordinator, person_id, unassigned, soon(), expect=422)
    assert_booking(mentor, person_id, as_role("mentor"), soon(), expect=403)
    assert_booking(unassigned, person_id, unassigned, soon(), expect=404)
    assert_booking(mentor, person_id, mentor, "2027-01-05T15:00:00", expect=422)  # naive time
    assert_booking(mentor, person_id, mentor, soon(), duration_minutes=0, expect=422)
    assert_booking(mentor, person_id, mentor, soon(), duration_minutes=600, expect=422)
    assert_booking(mentor, person_id, mentor, soon(), mode="carrier pigeon", expect=422)
    assert_booking(mentor, person_id, mentor, soon(days=1000), expect=422)


def test_times_are_stored_in_utc_and_shown_with_z(setting):
    _, mentor, person_id, _ = setting
    booked = book(mentor, person_id, mentor, "2027-06-01T18:00:00+01:00")
    assert booked["starts_at"] == "2027-06-01T17:00:00Z"
    assert booked["ends_at"] == "2027-06-01T18:00:00Z"


def test_overlaps_across_the_clock_changes(setting):
    _, mentor, person_id, _ = setting
    # 28 March 2027: London clocks go from 01:00 GMT to 02:00 BST.
    across = book(mentor, person_id, mentor, "2027-03-28T00:30:00Z", duration_minutes=90)
    assert across["ends_at"] == "2027-03-28T02:00:00Z"
    book(mentor, person_id, mentor, "2027-03-28T02:30:00+01:00", expect=409)  # 01:30Z
    book(mentor, person_id, mentor, "2027-03-28T03:00:00+01:00")  # 02:00Z: right after
    # 31 October 2027: 01:30 happens twice in London, an hour apart; both can be booked.
    book(mentor, person_id, mentor, "2027-10-31T01:30:00+01:00", duration_minutes=30)
    book(mentor, person_id, mentor, "2027-10-31T01:30:00+00:00", duration_minutes=30)


def feed(client, young_person: Caller):
    url = young_person.get("/api/v1/me/calendar-token").get_json()["url"]
    path = url.split("localhost", 1)[1]
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return path, vobject.readOne(response.get_data(as_text=True))


def test_calendar_feed_is_discreet_stable_and_sequenced(client, setting):
    _, mentor, person_id, young_person = setting
    booked = book(mentor, person_id, mentor, "2027-03-28T00:30:00Z", duration_minutes=90)
    url = f"{APPOINTMENTS}/{booked['id']}"
    for new_time in ("2027-03-29T17:00:00+01:00", "2027-03-30T17:00:00+01:00"):
        tag = mentor.get(url).headers["ETag"]
        assert (
            mentor.patch(url, json={"starts_at": new_time}, headers={"If-Match": tag}).status_code
            == 200
        )
    _, calendar = feed(client, young_person)
    event = calendar.vevent
    assert event.uid.value == f"{booked['id']}@youthapp"
    assert int(event.sequence.value) == 2
    assert event.summary.value == "Meeting"
    assert not hasattr(event, "location") and not hasattr(event, "description")
    assert event.dtstart.value == datetime(2027, 3, 30, 16, 0, tzinfo=UTC)
    assert event.dtstart.value.tzinfo.tzname(event.dtstart.value) == "BST"
    assert calendar.vtimezone.tzid.value == "Europe/London"


def test_calendar_feed_shows_details_when_discreet_mode_is_off(client, setting):
    _, mentor, person_id, young_person = setting
    booked = book(mentor, person_id, mentor, soon())
    young_person.put("/api/v1/me/preferences", json={"discreet_mode": False})
    _, calendar = feed(client, young_person)
    assert calendar.vevent.location.value == "Hackney youth hub, Mare Street"
    assert "housing" in calendar.vevent.summary.value
    assert "brother" not in calendar.serialize()
    young_person.post(f"{APPOINTMENTS}/{booked['id']}/cancel", json={"reason": "ill"})
    _, calendar = feed(client, young_person)
    assert calendar.vevent.status.value == "CANCELLED"


def test_calendar_token_can_be_renewed_and_revoked(client, setting):
    _, _, _, young_person = setting
    old_path, _ = feed(client, young_person)
    assert young_person.get("/api/v1/me/calendar-token").get_json()["url"].endswith(old_path)
    renewed = young_person.post("/api/v1/me/calendar-token")
    assert renewed.status_code == 201
    assert client.get(old_path).status_code == 404
    new_path = renewed.get_json()["url"].split("localhost", 1)[1]
    assert client.get(new_path).status_code == 200
    forged = new_path.replace(".ics", "0.ics")
    assert client.get(forged).status_code == 404
    assert young_person.delete("/api/v1/me/calendar-token").status_code == 204
    assert client.get(new_path).status_code == 404


@pytest.mark.parametrize("role", ["coordinator", "mentor"])
def test_listing_appointments_costs_the_same_queries_at_any_size(setting, count_queries, role):
    coordinator, mentor, person_id, young_person = setting
    caller = coordinator if role == "coordinator" else mentor
    budgets = []
    for batch, offset in ((2, 10), (15, 20)):
        for n in range(batch):
            book(mentor, person_id, mentor, soon(days=offset + n))
        with count_queries() as counted:
            assert len(caller.get(f"{APPOINTMENTS}?page_size=100").get_json()) >= batch
        budgets.append(counted.count)
    assert budgets[0] == budgets[1], budgets
    with count_queries() as counted:
        young_person.get("/api/v1/me/appointments?page_size=100")
    assert counted.count <= 4


def test_my_appointments_are_upcoming_first(setting):
    _, mentor, person_id, young_person = setting
    past = book(mentor, person_id, mentor, soon(days=-3))
    later = book(mentor, person_id, mentor, soon(days=9))
    sooner = book(mentor, person_id, mentor, soon(days=2))
    older = book(mentor, person_id, mentor, soon(days=-8))
    listed = [a["id"] for a in young_person.get("/api/v1/me/appointments").get_json()]
    assert listed == [sooner["id"], later["id"], past["id"], older["id"]]
    window = young_person.get(
        "/api/v1/me/appointments", query_string={"from": soon(days=1), "to": soon(days=5)}
    ).get_json()
    assert [a["id"] for a in window] == [sooner["id"]]


def test_a_calendar_token_that_is_not_ascii_is_simply_not_found(client):
    response = client.get("/api/v1/calendar/%C3%BA%C2%85.%F4%83%9C%B1..ics")
    assert response.status_code == 404
    assert response.get_json()["code"] == 404
