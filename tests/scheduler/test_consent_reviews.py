"""Consent that grows up with the young person: who gave it at referral, and the review the
scheduler marks on the 16th and 18th birthdays in the young person's own zone, once each."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.jobs import run_sweep
from tests.conftest import referral_body
from tests.factories import sent_to

REVIEWS = "consent_reviews"
SHARING = {"mental_health": True, "substance_misuse": True, "housing": True, "employment": True}
LONDON = ZoneInfo("Europe/London")
# Referrals are made today by the API's clock, and the programme takes ages 10 to 25: every
# date of birth here is worked out from today, so that the young person is 15 when referred.
TODAY = datetime.now(UTC).date()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def local_midnight(day: date, zone: ZoneInfo = LONDON) -> datetime:
    """The UTC instant the day starts on the wall clock of `zone`."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def next_year_with(month: int, day: int) -> int:
    """The first year in which (month, day) is at least a week away."""
    year = TODAY.year
    while date(year, month, day) <= TODAY + timedelta(days=7):
        year += 1
    return year


def last_sunday(year: int, month: int) -> date:
    """The last Sunday of the month: when Europe's clocks change in March and October."""
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() - 6) % 7)


def born_16_years_before(birthday: date) -> str:
    return birthday.replace(year=birthday.year - 16).isoformat()


def enrolled(coordinator, programme, born: str, *, consents: dict | None = None, **referral):
    """A young person born on `born`, referred today, accepted and activated."""
    made = programme.refer(date_of_birth=born, **referral)
    accepted = coordinator.post(
        f"/api/v1/referrals/{made['id']}/decision",
        json={"decision": "accept", **({"consents": consents} if consents else {})},
    )
    assert accepted.status_code == 201, accepted.get_json()
    enrolment = accepted.get_json()
    return enrolment["young_person_id"], programme.activate(enrolment)


@pytest.fixture
def staff(as_role):
    return as_role("coordinator"), as_role("mentor")


def aged(years: int) -> str:
    """A date of birth `years` old today."""
    return date(TODAY.year - years, 1, 1).isoformat()


class TestConsentAtReferral:
    def test_under_16_the_young_person_alone_needs_a_competence_assessment(self, as_role):
        referrer = as_role("referrer")

        def refer(consent):
            return referrer.post(
                "/api/v1/referrals", json=referral_body(date_of_birth=aged(13), consent=consent)
            )

        alone = refer({"given_by": "young_person"})
        assert alone.status_code == 422
        assert "consent" in alone.get_json()["errors"]["json"]
        assert refer({"given_by": "young_person", "competence_assessed": False}).status_code == 422
        assessed = refer({"given_by": "young_person", "competence_assessed": True})
        assert assessed.status_code == 201, assessed.get_json()
        assert refer({"given_by": "parent_or_carer"}).status_code == 201
        assert refer({"given_by": "a neighbour"}).status_code == 422

    def test_who_gave_it_is_recorded_with_the_default_by_age(self, staff, programme):
        coordinator, _ = staff
        cases = [
            (aged(13), None, ("parent_or_carer", None)),
            (aged(13), {"given_by": "parent_or_carer"}, ("parent_or_carer", None)),
            (
                aged(13),
                {"given_by": "young_person", "competence_assessed": True},
                ("young_person", True),
            ),
            (aged(17), None, ("young_person", None)),
            (aged(17), {"given_by": "parent_or_carer"}, ("parent_or_carer", None)),
        ]
        for number, (born, consent, expected) in enumerate(cases):
            extra = {"consent": consent} if consent else {}
            made = programme.refer(date_of_birth=born, first_name=f"Ash{number}", **extra)
            seen = coordinator.get(f"/api/v1/referrals/{made['id']}").get_json()
            assert (seen["consent_given_by"], seen["consent_competence_assessed"]) == expected
            accepted = coordinator.post(
                f"/api/v1/referrals/{made['id']}/decision", json={"decision": "accept"}
            ).get_json()
            person = coordinator.get(f"/api/v1/young-people/{accepted['young_person_id']}")
            record = person.get_json()
            assert (record["consent_given_by"], record["consent_competence_assessed"]) == expected
            assert record["consent_review_due_since"] is None


class TestTheReview:
    @pytest.fixture
    def summer_16th(self) -> date:
        """A 16th birthday on 15 June, in British Summer Time."""
        return date(next_year_with(6, 15), 6, 15)

    def test_on_the_16th_birthday_in_london_once(
        self, staff, programme, context, db, as_role, summer_16th
    ):
        coordinator, mentor = staff
        second_coordinator = as_role("coordinator")
        person_id, young_person = enrolled(
            coordinator, programme, born_16_years_before(summer_16th), consents={"reporting": True}
        )
        programme.assign(coordinator, person_id, mentor)
        assert young_person.get("/api/v1/me/consents").get_json()["reporting"] is True
        midnight = local_midnight(summer_16th)
        # London is an hour ahead in June: its midnight is 23:00 UTC the day before.
        assert midnight == datetime.combine(summer_16th, time(0), tzinfo=UTC) - timedelta(hours=1)

        assert run_sweep(context, REVIEWS, midnight - timedelta(minutes=1)) == 0
        assert young_person.get("/api/v1/me/consents").get_json()["review_due"] is False
        swept_at = midnight + timedelta(minutes=30)  # 23:30 UTC on the day before
        assert run_sweep(context, REVIEWS, swept_at) == 1
        for later in (timedelta(hours=1), timedelta(hours=12), timedelta(days=150)):
            assert run_sweep(context, REVIEWS, midnight + later) == 0

        [told] = sent_to(db, young_person, "consent_review")
        assert told.data == {"age": 16}
        for each in (coordinator, second_coordinator):
            [heard] = sent_to(db, each, "consent_review")
            assert heard.data == {"young_person_id": person_id, "age": 16}
        assert sent_to(db, mentor, "consent_review") == []

        consents = young_person.get("/api/v1/me/consents").get_json()
        # The parent's reporting consent lapsed; sharing stays, nothing else is switched off.
        assert consents == {"review_due": True, "reporting": False, "sharing": SHARING}
        record = coordinator.get(f"/api/v1/young-people/{person_id}").get_json()
        assert at(record["consent_review_due_since"]) == swept_at
        assert mentor.get(f"/api/v1/young-people/{person_id}").status_code == 200

        done = young_person.put("/api/v1/me/consents", json={"reconfirm": True})
        assert done.status_code == 200
        assert done.get_json() == {"review_due": False, "reporting": False, "sharing": SHARING}
        record = coordinator.get(f"/api/v1/young-people/{person_id}").get_json()
        assert record["consent_review_due_since"] is None
        assert run_sweep(context, REVIEWS, midnight + timedelta(days=300)) == 0

    def test_their_own_reporting_consent_survives_the_18th(
        self, staff, programme, context, db, summer_16th
    ):
        coordinator, _ = staff
        _, young_person = enrolled(
            coordinator, programme, born_16_years_before(summer_16th), consents={"reporting": True}
        )
        assert run_sweep(context, REVIEWS, local_midnight(summer_16th) + timedelta(hours=8)) == 1
        own = young_person.put("/api/v1/me/consents", json={"reporting": True, "reconfirm": True})
        assert own.get_json()["reporting"] is True and own.get_json()["review_due"] is False
        eighteenth = local_midnight(summer_16th.replace(year=summer_16th.year + 2))
        assert run_sweep(context, REVIEWS, eighteenth - timedelta(minutes=1)) == 0
        assert run_sweep(context, REVIEWS, eighteenth) == 1
        assert run_sweep(context, REVIEWS, eighteenth + timedelta(days=1)) == 0
        consents = young_person.get("/api/v1/me/consents").get_json()
        assert consents == {"review_due": True, "reporting": True, "sharing": SHARING}
        assert [n.data["age"] for n in sent_to(db, young_person, "consent_review")] == [16, 18]

    def test_a_29_february_birthday_is_1_march_in_other_years(self, staff, programme, context, db):
        coordinator, _ = staff
        born = next(
            year
            for year in range(TODAY.year - 16, TODAY.year)
            if calendar.isleap(year) and date(year + 16, 2, 29) > TODAY + timedelta(days=7)
        )
        _, young_person = enrolled(coordinator, programme, f"{born}-02-29")
        # 16 in a leap year (born in one, 16 years on is one too): on 29 February. London is
        # on GMT then, so its midnight is midnight UTC.
        sixteenth = at(f"{born + 16}-02-29T00:00:00Z")
        assert run_sweep(context, REVIEWS, sixteenth - timedelta(minutes=1)) == 0
        assert run_sweep(context, REVIEWS, sixteenth) == 1
        young_person.put("/api/v1/me/consents", json={"reconfirm": True})
        # 18 in a year without 29 February: on 1 March, not on 28 February.
        assert not calendar.isleap(born + 18)
        assert run_sweep(context, REVIEWS, at(f"{born + 18}-02-28T00:00:00Z")) == 0
        assert run_sweep(context, REVIEWS, at(f"{born + 18}-02-28T23:59:00Z")) == 0
        assert young_person.get("/api/v1/me/consents").get_json()["review_due"] is False
        assert run_sweep(context, REVIEWS, at(f"{born + 18}-03-01T00:00:00Z")) == 1
        assert run_sweep(context, REVIEWS, at(f"{born + 18}-03-02T00:00:00Z")) == 0
        assert [n.data["age"] for n in sent_to(db, young_person, "consent_review")] == [16, 18]
        assert young_person.get("/api/v1/me/consents").get_json()["review_due"] is True

    @pytest.mark.parametrize(
        ("month", "offset_hours"),
        [
            # The clocks go back at 02:00 BST on the last Sunday of October: midnight that
            # day is still BST, 23:00 UTC the day before.
            (10, 1),
            # They go forward at 01:00 GMT on the last Sunday of March: midnight is GMT.
            (3, 0),
        ],
        ids=["autumn", "spring"],
    )
    def test_on_the_days_the_clocks_change(
        self, staff, programme, context, db, month, offset_hours
    ):
        coordinator, _ = staff
        year = TODAY.year
        while last_sunday(year, month) <= TODAY + timedelta(days=7):
            year += 1
        birthday = last_sunday(year, month)
        _, young_person = enrolled(coordinator, programme, born_16_years_before(birthday))
        midnight = local_midnight(birthday)
        assert midnight == datetime.combine(birthday, time(0), tzinfo=UTC) - timedelta(
            hours=offset_hours
        )
        assert run_sweep(context, REVIEWS, midnight - timedelta(minutes=1)) == 0
        assert run_sweep(context, REVIEWS, midnight) == 1
        assert run_sweep(context, REVIEWS, midnight + timedelta(hours=3)) == 0
        assert len(sent_to(db, young_person, "consent_review")) == 1

    def test_in_the_young_person_s_own_zone(self, staff, programme, context, summer_16th):
        coordinator, _ = staff
        _, young_person = enrolled(coordinator, programme, born_16_years_before(summer_16th))
        moved = young_person.put("/api/v1/me/preferences", json={"timezone": "Asia/Tokyo"})
        assert moved.status_code == 200
        # Midnight in Tokyo (UTC+9) is 15:00 UTC the day before.
        tokyo = local_midnight(summer_16th, ZoneInfo("Asia/Tokyo"))
        assert tokyo.hour == 15
        assert run_sweep(context, REVIEWS, tokyo - timedelta(minutes=1)) == 0
        assert run_sweep(context, REVIEWS, tokyo) == 1
        assert run_sweep(context, REVIEWS, local_midnight(summer_16th)) == 0

    def test_a_birthday_passed_before_referral_is_not_reviewed(self, staff, programme, context, db):
        coordinator, _ = staff
        # 16 already: the consent was theirs. Their 18th is on 17 May, in BST.
        eighteenth = date(next_year_with(5, 17) + 1, 5, 17)
        _, young_person = enrolled(
            coordinator, programme, eighteenth.replace(year=eighteenth.year - 18).isoformat()
        )
        midnight = local_midnight(eighteenth)
        assert run_sweep(context, REVIEWS, midnight - timedelta(days=200)) == 0
        assert run_sweep(context, REVIEWS, midnight - timedelta(minutes=1)) == 0
        assert run_sweep(context, REVIEWS, midnight) == 1
        assert [n.data["age"] for n in sent_to(db, young_person, "consent_review")] == [18]

    def test_a_scheduler_back_late_catches_up_once(
        self, staff, programme, context, db, summer_16th
    ):
        coordinator, _ = staff
        _, young_person = enrolled(coordinator, programme, born_16_years_before(summer_16th))
        # Down from before the 16th until after the 18th: one review, at 18.
        after_18th = local_midnight(summer_16th.replace(year=summer_16th.year + 2)) + timedelta(
            days=16
        )
        assert run_sweep(context, REVIEWS, after_18th) == 1
        assert run_sweep(context, REVIEWS, after_18th + timedelta(days=1)) == 0
        assert [n.data["age"] for n in sent_to(db, young_person, "consent_review")] == [18]

    def test_not_for_someone_who_has_left(self, staff, programme, context, db, summer_16th):
        coordinator, _ = staff
        person_id, young_person = enrolled(
            coordinator, programme, born_16_years_before(summer_16th)
        )
        left = coordinator.patch(
            f"/api/v1/young-people/{person_id}",
            json={"status": "exited", "status_reason": "Moved away"},
        )
        assert left.status_code == 200, left.get_json()
        assert run_sweep(context, REVIEWS, local_midnight(summer_16th) + timedelta(hours=12)) == 0
        assert sent_to(db, young_person, "consent_review") == []
        assert sent_to(db, coordinator, "consent_review") == []
