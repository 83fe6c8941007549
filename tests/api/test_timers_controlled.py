"""Safety timers the young person controls: giving themselves longer (If-Match, at most 24
hours ahead, at most three times), the history they see, and the warning ten minutes before
time is up, once per deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler.jobs import run_sweep
from tests.factories import sent_to

TIMERS = "/api/v1/me/safety-timers"
WARNINGS = "safety_timer_warnings"


def soon(minutes: int) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=minutes)


@pytest.fixture
def case(as_role, programme):
    coordinator = as_role("coordinator")
    mentor = as_role("mentor")
    person_id, young_person = programme.young_person(coordinator)
    programme.assign(coordinator, person_id, mentor)
    return coordinator, mentor, person_id, young_person


def start(young_person, minutes: int = 60, note: str | None = None) -> dict:
    response = young_person.post(
        TIMERS, json={"expected_back_at": soon(minutes).isoformat(), "note": note}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def tag_of(young_person, timer: dict) -> str:
    response = young_person.get(f"{TIMERS}/{timer['id']}")
    assert response.status_code == 200
    return response.headers["ETag"]


def extend(young_person, timer: dict, until: datetime, tag: str | None = "current"):
    if tag == "current":
        tag = tag_of(young_person, timer)
    headers = {"If-Match": tag} if tag is not None else {}
    return young_person.patch(
        f"{TIMERS}/{timer['id']}", json={"expected_back_at": until.isoformat()}, headers=headers
    )


class TestGivingMyselfLonger:
    def test_if_match_is_needed_and_must_be_current(self, case):
        *_, young_person = case
        timer = start(young_person)
        assert extend(young_person, timer, soon(90), tag=None).status_code == 428
        stale = tag_of(young_person, timer)
        later = soon(90)
        assert extend(young_person, timer, later, tag=stale).status_code == 200
        assert extend(young_person, timer, soon(120), tag=stale).status_code == 412
        shown = young_person.get(f"{TIMERS}/{timer['id']}").get_json()
        assert datetime.fromisoformat(shown["expected_back_at"]) == later
        assert shown["extensions"] == 1

    def test_later_within_24_hours(self, case):
        *_, young_person = case
        timer = start(young_person, minutes=60)
        assert extend(young_person, timer, soon(30)).status_code == 422  # earlier
        same = datetime.fromisoformat(timer["expected_back_at"])
        assert extend(young_person, timer, same).status_code == 422  # not later
        assert extend(young_person, timer, soon(24 * 60 + 5)).status_code == 422
        before = tag_of(young_person, timer)
        furthest = soon(24 * 60 - 1)
        longest = extend(young_person, timer, furthest, tag=before)
        assert longest.status_code == 200, longest.get_json()
        assert longest.headers["ETag"] not in (before, "")
        assert datetime.fromisoformat(longest.get_json()["expected_back_at"]) == furthest

    def test_at_most_three_times(self, case):
        *_, young_person = case
        timer = start(young_person, minutes=30)
        for number in range(1, 4):
            extended = extend(young_person, timer, soon(30 + 30 * number))
            assert extended.status_code == 200
            assert extended.get_json()["extensions"] == number
        fourth = extend(young_person, timer, soon(180))
        assert fourth.status_code == 409
        assert "3 times" in fourth.get_json()["message"]

    def test_not_once_stopped_nor_once_the_team_was_told(self, case, context):
        *_, young_person = case
        stopped = start(young_person)
        young_person.post(f"{TIMERS}/{stopped['id']}/safe", json={})
        assert extend(young_person, stopped, soon(120)).status_code == 409
        late = start(young_person, minutes=30)
        back = datetime.fromisoformat(late["expected_back_at"])
        assert run_sweep(context, "expired_safety_timers", back + timedelta(minutes=1)) == 1
        assert extend(young_person, late, soon(120)).status_code == 409

    def test_only_my_own_timers(self, case, programme):
        coordinator, mentor, *_ = case
        _, other = programme.young_person(coordinator)
        *_, young_person = case
        theirs = start(other)
        assert young_person.get(f"{TIMERS}/{theirs['id']}").status_code == 404
        refused = young_person.patch(
            f"{TIMERS}/{theirs['id']}",
            json={"expected_back_at": soon(120).isoformat()},
            headers={"If-Match": "*"},
        )
        assert refused.status_code == 404
        assert mentor.get(f"{TIMERS}/{theirs['id']}").status_code == 403

    def test_the_history_says_what_happened(self, case):
        *_, young_person = case
        timer = start(young_person, minutes=30, note="Meeting J at the park")
        first = soon(60)
        extend(young_person, timer, first)
        second = soon(90)
        extend(young_person, timer, second)
        safe = young_person.post(f"{TIMERS}/{timer['id']}/safe", json={})
        assert safe.status_code == 200
        shown = young_person.get(f"{TIMERS}/{timer['id']}").get_json()
        assert [e["event"] for e in shown["history"]] == ["started", "extended", "extended", "safe"]
        assert [datetime.fromisoformat(e["expected_back_at"]) for e in shown["history"]] == [
            datetime.fromisoformat(timer["expected_back_at"]),
            first,
            second,
            second,
        ]
        assert all(e["at"] for e in shown["history"])
        assert shown["status"] == "safe" and shown["extensions"] == 2
        assert young_person.get(TIMERS).get_json()[0]["history"] == shown["history"]


class TestTheWarning:
    def test_ten_minutes_before_once(self, case, context, db):
        coordinator, mentor, _, young_person = case
        timer = start(young_person, minutes=60)
        back = datetime.fromisoformat(timer["expected_back_at"])
        assert run_sweep(context, WARNINGS, back - timedelta(minutes=11)) == 0
        assert run_sweep(context, WARNINGS, back - timedelta(minutes=9)) == 1
        assert run_sweep(context, WARNINGS, back - timedelta(minutes=5)) == 0
        [warning] = sent_to(db, young_person, "safety_timer_ending")
        assert warning.urgent is True
        assert warning.data == {"timer_id": timer["id"], "expected_back_at": back.isoformat()}
        # Only to the young person.
        assert sent_to(db, coordinator, "safety_timer_ending") == []
        assert sent_to(db, mentor, "safety_timer_ending") == []
        # It shows in their own inbox.
        inbox = young_person.get("/api/v1/me/notifications").get_json()
        assert [n["kind"] for n in inbox] == ["safety_timer_ending"]

    def test_an_extension_brings_a_new_warning_before_the_new_time(self, case, context, db):
        *_, young_person = case
        timer = start(young_person, minutes=60)
        back = datetime.fromisoformat(timer["expected_back_at"])
        assert run_sweep(context, WARNINGS, back - timedelta(minutes=9)) == 1
        later = back + timedelta(minutes=45)
        assert extend(young_person, timer, later).status_code == 200
        assert run_sweep(context, WARNINGS, back - timedelta(minutes=5)) == 0
        assert run_sweep(context, WARNINGS, later - timedelta(minutes=11)) == 0
        assert run_sweep(context, WARNINGS, later - timedelta(minutes=9)) == 1
        assert run_sweep(context, WARNINGS, later - timedelta(minutes=1)) == 0
        warned = sent_to(db, young_person, "safety_timer_ending")
        assert [n.data["expected_back_at"] for n in warned] == [
            back.isoformat(),
            later.isoformat(),
        ]

    def test_no_warning_once_safe_or_past_time(self, case, context, db):
        *_, young_person = case
        safe = start(young_person, minutes=60)
        young_person.post(f"{TIMERS}/{safe['id']}/safe", json={})
        back = datetime.fromisoformat(safe["expected_back_at"])
        assert run_sweep(context, WARNINGS, back - timedelta(minutes=9)) == 0
        running = start(young_person, minutes=60)
        back = datetime.fromisoformat(running["expected_back_at"])
        # A scheduler back after the deadline does not warn of a time already past.
        assert run_sweep(context, WARNINGS, back + timedelta(minutes=1)) == 0
        assert sent_to(db, young_person, "safety_timer_ending") == []
