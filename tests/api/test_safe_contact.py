"""Safe contact, through HTTP: the young person says when, how and where they may be reached;
bookings against it are refused unless they say why (audited), and messages that can wait
wait for the next window, while help and safety messages never do."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from scheduler.jobs import run_sweep
from tests.factories import book, sent_to
from youthapp.models import AuditEvent

LONDON = ZoneInfo("Europe/London")
EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
MINE = "/api/v1/me/contact-preferences"
# A Wednesday in winter (GMT) and one in summer (BST).
WINTER_WEDNESDAY = date(2027, 1, 13)
SUMMER_WEDNESDAY = date(2027, 7, 14)


def london(day: date, hour: int, minute: int = 0) -> datetime:
    """The UTC instant of a London wall-clock time."""
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON).astimezone(UTC)


def preferences(**overrides) -> dict:
    body = {
        "windows": [{"days": WEEKDAYS, "from": "09:00", "to": "17:00"}],
        "channels": ["app", "text"],
        "no_go_boroughs": ["Hackney"],
    }
    return {**body, **overrides}


def set_mine(young_person, **overrides) -> dict:
    response = young_person.put(MINE, json=preferences(**overrides))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def attempt(mentor, person_id: str, starts_at: datetime, **extra):
    """A booking that may be refused (tests.factories.book insists on 201)."""
    return mentor.post(
        "/api/v1/appointments",
        json={
            "young_person_id": person_id,
            "mentor_id": str(mentor.user.id),
            "starts_at": starts_at.isoformat(),
            "duration_minutes": 60,
            "mode": "in_person",
            **extra,
        },
    )


def as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def next_wall_clock(hour: int, after: datetime) -> datetime:
    """The first time after `after` that London's clock reads hour:00."""
    local = after.astimezone(LONDON)
    day = local.date()
    while True:
        candidate = london(day, hour)
        if candidate > after:
            return candidate
        day += timedelta(days=1)


@pytest.fixture
def case(as_role, programme):
    coordinator = as_role("coordinator")
    mentor = as_role("mentor")
    person_id, young_person = programme.young_person(coordinator)
    programme.assign(coordinator, person_id, mentor)
    return coordinator, mentor, person_id, young_person


class TestPreferences:
    def test_they_round_trip(self, case):
        *_, young_person = case
        assert young_person.get(MINE).get_json() == {
            "windows": [],
            "channels": ["app", "phone_call", "text", "in_person"],
            "no_go_boroughs": [],
        }
        body = preferences(
            windows=[
                {"days": WEEKDAYS, "from": "09:00", "to": "17:00"},
                {"days": ["sat"], "from": "22:00", "to": "01:30"},
            ],
            channels=["text", "in_person"],
            no_go_boroughs=["hackney", "Tower Hamlets", "Hackney"],
        )
        saved = young_person.put(MINE, json=body)
        assert saved.status_code == 200, saved.get_json()
        expected = {
            "windows": body["windows"],
            "channels": ["text", "in_person"],
            "no_go_boroughs": ["Hackney", "Tower Hamlets"],
        }
        assert saved.get_json() == expected
        assert young_person.get(MINE).get_json() == expected

    @pytest.mark.parametrize(
        "bad",
        [
            {"no_go_boroughs": ["Gotham"]},
            {"windows": [{"days": ["mon"], "from": "09:00", "to": "09:00"}]},
            {"windows": [{"days": [], "from": "09:00", "to": "10:00"}]},
            {"windows": [{"days": ["someday"], "from": "09:00", "to": "10:00"}]},
            {"windows": [{"days": ["mon"], "from": "9am", "to": "10:00"}]},
            {"channels": ["carrier_pigeon"]},
        ],
    )
    def test_what_is_refused(self, case, bad):
        *_, young_person = case
        set_mine(young_person)
        refused = young_person.put(MINE, json=preferences(**bad))
        assert refused.status_code == 422, refused.get_json()
        assert young_person.get(MINE).get_json() == preferences()  # unchanged

    def test_staff_in_scope_see_them_others_do_not(self, case, as_role):
        coordinator, mentor, person_id, young_person = case
        saved = set_mine(young_person)
        url = f"/api/v1/young-people/{person_id}/contact-preferences"
        for staff in (coordinator, mentor):
            seen = staff.get(url)
            assert seen.status_code == 200 and seen.get_json() == saved
        assert (
            coordinator.get(f"/api/v1/young-people/{person_id}").get_json()["contact_preferences"]
            == saved
        )
        assert as_role("mentor").get(url).status_code == 404
        assert young_person.get(url).status_code in (403, 404)
        assert mentor.put(MINE, json=preferences()).status_code == 403


class TestBookings:
    def overrides(self, db, appointment_id: str) -> list[AuditEvent]:
        db.rollback()
        return list(
            db.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "appointment.contact_override",
                    AuditEvent.object_id == appointment_id,
                )
            )
        )

    def test_a_no_go_borough_needs_a_reason(self, case, admin, db):
        _, mentor, person_id, young_person = case
        set_mine(young_person, no_go_boroughs=["Hackney"])
        starts = london(WINTER_WEDNESDAY, 10)
        refused = attempt(mentor, person_id, starts, borough="hackney")
        assert refused.status_code == 409
        assert "no go borough" in refused.get_json()["message"]
        blank = attempt(mentor, person_id, starts, borough="Hackney", override_reason=" ")
        assert blank.status_code == 409
        elsewhere = attempt(mentor, person_id, starts, borough="Islington")
        assert elsewhere.status_code == 201

        overridden = attempt(
            mentor,
            person_id,
            starts + timedelta(hours=2),
            borough="Hackney",
            override_reason="Her GP is there; she asked for it.",
        )
        assert overridden.status_code == 201, overridden.get_json()
        appointment_id = overridden.get_json()["id"]
        trail = admin.get("/api/v1/audit?action=appointment.contact_override").get_json()
        assert [(e["object_id"], e["details"]) for e in trail] == [
            (appointment_id, {"fields": ["no_go_borough"]})
        ]
        assert len(self.overrides(db, appointment_id)) == 1
        assert self.overrides(db, elsewhere.get_json()["id"]) == []

    @pytest.mark.parametrize(
        ("day", "inside", "outside"),
        [(WINTER_WEDNESDAY, 9, 17), (SUMMER_WEDNESDAY, 16, 8)],
        ids=["gmt", "bst"],
    )
    def test_a_start_outside_the_windows_needs_a_reason(self, case, admin, day, inside, outside):
        _, mentor, person_id, young_person = case
        set_mine(young_person, no_go_boroughs=[])
        # The windows are London wall-clock times, in summer as in winter.
        assert attempt(mentor, person_id, london(day, inside)).status_code == 201
        refused = attempt(mentor, person_id, london(day, outside))
        assert refused.status_code == 409
        assert "outside windows" in refused.get_json()["message"]
        saturday = attempt(mentor, person_id, london(day + timedelta(days=3), 11))
        assert saturday.status_code == 409
        overridden = attempt(
            mentor, person_id, london(day, outside), override_reason="Only time the GP could do."
        )
        assert overridden.status_code == 201
        [event] = admin.get("/api/v1/audit?action=appointment.contact_override").get_json()
        assert event["object_id"] == overridden.get_json()["id"]
        assert event["details"] == {"fields": ["outside_windows"]}

    def test_moving_into_a_no_go_borough_or_out_of_the_windows(self, case, admin):
        _, mentor, person_id, young_person = case
        set_mine(young_person, no_go_boroughs=["Newham"])
        booked = book(mentor, person_id, london(WINTER_WEDNESDAY, 10), borough="Islington")
        url = f"/api/v1/appointments/{booked['id']}"

        def patch(**changes):
            tag = mentor.get(url).headers["ETag"]
            return mentor.patch(url, json=changes, headers={"If-Match": tag})

        assert patch(borough="Newham").status_code == 409
        late = london(WINTER_WEDNESDAY, 20).isoformat()
        assert patch(starts_at=late).status_code == 409
        shown = mentor.get(url).get_json()
        assert shown["borough"] == "Islington"
        assert shown["starts_at"] == booked["starts_at"]
        moved = patch(borough="Newham", override_reason="The youth centre she chose.")
        assert moved.status_code == 200, moved.get_json()
        assert moved.get_json()["borough"] == "Newham"
        [event] = admin.get("/api/v1/audit?action=appointment.contact_override").get_json()
        assert event["object_id"] == booked["id"]

    def test_no_preferences_no_limits(self, case):
        _, mentor, person_id, _ = case
        late = attempt(mentor, person_id, london(WINTER_WEDNESDAY, 23), borough="Hackney")
        assert late.status_code == 201


class TestWaitingForAWindow:
    """Real time: the API stamps messages with the clock, so the windows are set around it."""

    @pytest.fixture
    def closed_now(self, case):
        """The young person's only window opens every day at the first whole hour at least
        an hour from now, for an hour: the app is closed to waiting messages now."""
        *_, young_person = case
        now = datetime.now(UTC)
        opens = next_wall_clock((now.astimezone(LONDON) + timedelta(hours=2)).hour, now)
        start = opens.astimezone(LONDON)
        window = {
            "days": EVERY_DAY,
            "from": f"{start.hour:02d}:00",
            "to": f"{(start.hour + 1) % 24:02d}:00",
        }
        set_mine(young_person, windows=[window], no_go_boroughs=[])
        return opens

    def test_a_booking_message_waits_for_the_next_window(self, case, closed_now, db):
        _, mentor, person_id, young_person = case
        book(mentor, person_id, closed_now + timedelta(days=1, minutes=15))
        [booked] = sent_to(db, young_person, "appointment_booked")
        assert as_utc(booked.deliver_after) == closed_now
        assert as_utc(booked.created_at) < closed_now
        assert booked.urgent is False

    def test_help_seen_and_alerts_never_wait(self, case, closed_now, db, as_role):
        coordinator, mentor, _, young_person = case
        # The coordinator is in quiet hours too (their own preferences).
        now_local = datetime.now(LONDON)
        quiet = {
            "start": f"{(now_local - timedelta(hours=1)).hour:02d}:00",
            "end": f"{(now_local + timedelta(hours=2)).hour:02d}:00",
        }
        quieted = coordinator.put("/api/v1/me/preferences", json={"quiet_hours": quiet})
        assert quieted.status_code == 200
        help_now = young_person.post(
            "/api/v1/me/check-ins",
            json={"client_ref": "help", "mood": 1, "feeling_safe": False, "needs_help": True},
        )
        assert help_now.status_code == 201
        told = sent_to(db, coordinator, "alert") + sent_to(db, mentor, "alert")
        assert told and all(as_utc(n.deliver_after) == as_utc(n.created_at) for n in told)
        assert all(n.urgent for n in told)

        alert = coordinator.get("/api/v1/alerts").get_json()[0]
        assert coordinator.post(f"/api/v1/alerts/{alert['id']}/acknowledge").status_code == 200
        [seen] = sent_to(db, young_person, "help_seen")
        assert as_utc(seen.deliver_after) == as_utc(seen.created_at) < closed_now

    def test_the_timer_warning_never_waits(self, case, closed_now, context, db):
        *_, young_person = case
        back = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)
        started = young_person.post(
            "/api/v1/me/safety-timers", json={"expected_back_at": back.isoformat()}
        )
        assert started.status_code == 201
        warned_at = back - timedelta(minutes=9)
        assert warned_at < closed_now  # still outside the window
        assert run_sweep(context, "safety_timer_warnings", warned_at) == 1
        [warning] = sent_to(db, young_person, "safety_timer_ending")
        assert as_utc(warning.created_at) == warned_at
        assert as_utc(warning.deliver_after) == warned_at


class TestQuietHours:
    def test_quiet_hours_are_one_window_every_day(self, case):
        *_, young_person = case
        put = young_person.put(
            "/api/v1/me/preferences", json={"quiet_hours": {"start": "22:00", "end": "07:00"}}
        )
        assert put.status_code == 200
        assert put.get_json()["quiet_hours"] == {"start": "22:00", "end": "07:00"}
        assert young_person.get(MINE).get_json()["windows"] == [
            {"days": EVERY_DAY, "from": "07:00", "to": "22:00"}
        ]
        # Windows that are not one a day have no quiet hours to show.
        set_mine(young_person)
        assert young_person.get("/api/v1/me/preferences").get_json()["quiet_hours"] is None
        # And switching quiet hours off opens every hour.
        young_person.put(
            "/api/v1/me/preferences", json={"quiet_hours": {"start": "22:00", "end": "07:00"}}
        )
        young_person.put("/api/v1/me/preferences", json={"quiet_hours": None})
        assert young_person.get(MINE).get_json()["windows"] == []

    def test_quiet_hours_still_hold_messages_back(self, case, db):
        _, mentor, person_id, young_person = case
        now = datetime.now(UTC)
        now_local = now.astimezone(LONDON)
        start = (now_local - timedelta(hours=1)).hour
        end = (now_local + timedelta(hours=2)).hour
        quiet = {"start": f"{start:02d}:00", "end": f"{end:02d}:00"}
        assert (
            young_person.put("/api/v1/me/preferences", json={"quiet_hours": quiet}).status_code
            == 200
        )
        ends = next_wall_clock(end, now)
        book(mentor, person_id, ends + timedelta(days=1, minutes=30))
        [booked] = sent_to(db, young_person, "appointment_booked")
        assert as_utc(booked.deliver_after) == ends
