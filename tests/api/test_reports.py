"""Outcome reports (journey 7): coordinators only, counting only young people who consent to
reporting, with small numbers suppressed so that nobody can be picked out or worked back."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from youthapp.models import (
    WEEKDAYS,
    Alert,
    Appointment,
    AuditEvent,
    CheckIn,
    CheckInSchedule,
    Goal,
    Referral,
    YoungPerson,
)
from youthapp.services import schedules
from youthapp.vocabulary import DOMAINS

REPORT = "/api/v1/reports/outcomes"
# A fixed month in the past, with the spring clock change in it (30 March 2025).
MARCH = {"from": "2025-03-01T00:00:00Z", "to": "2025-04-01T00:00:00Z"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


START = at(MARCH["from"])


def day(n: int, hour: int = 12) -> datetime:
    """Noon (UTC) on the nth of March 2025."""
    return START + timedelta(days=n - 1, hours=hour)


def shown(value) -> dict:
    return {"value": value, "suppressed": False}


HIDDEN = {"value": None, "suppressed": True}


def zeros(keys, **values) -> dict:
    return {key: shown(values.get(key, 0)) for key in keys}


@pytest.fixture
def coordinator(as_role):
    return as_role("coordinator")


class Arrange:
    """Builds the programme's records: people through the API, history straight into the
    database where the API cannot backdate (and consent, whose API is not ours to use)."""

    def __init__(self, programme, coordinator, db):
        self.programme, self.coordinator, self.db = programme, coordinator, db
        self.referrers = {}

    def referrer(self, referrer_type: str = "teacher"):
        if referrer_type not in self.referrers:
            self.referrers[referrer_type] = self.programme.make.caller(
                "referrer", referrer_type=referrer_type, organisation="Somewhere"
            )
        return self.referrers[referrer_type]

    def referral(
        self,
        referrer_type: str = "teacher",
        *,
        decision: str | None = None,
        when: datetime | None = None,
    ) -> str:
        """A referral that is never accepted: submitted, declined or withdrawn."""
        referrer = self.referrer(referrer_type)
        referral_id = self.programme.refer(referrer)["id"]
        if decision == "decline":
            response = self.coordinator.post(
                f"/api/v1/referrals/{referral_id}/decision",
                json={"decision": "decline", "reason": "Not in area"},
            )
            assert response.status_code == 200, response.get_json()
        elif decision == "withdraw":
            assert referrer.post(f"/api/v1/referrals/{referral_id}/withdraw").status_code == 200
        self._backdate(Referral, uuid.UUID(referral_id), when)
        self.db.commit()
        return referral_id

    def person(
        self,
        *,
        consent: bool = True,
        when: datetime | None = None,
        referrer_type: str = "teacher",
        **overrides,
    ) -> uuid.UUID:
        """An enrolled young person (their referral accepted), enrolled at `when`."""
        enrolment = self.programme.enrol(
            self.coordinator, referrer=self.referrer(referrer_type), **overrides
        )
        person_id = uuid.UUID(enrolment["young_person_id"])
        self.db.execute(
            update(YoungPerson).where(YoungPerson.id == person_id).values(consent_reporting=consent)
        )
        self._backdate(YoungPerson, person_id, when)
        referral_id = self.db.scalar(
            select(Referral.id).where(Referral.young_person_id == person_id)
        )
        self._backdate(Referral, referral_id, when)
        self.db.commit()
        return person_id

    def _backdate(self, model, record_id, when):
        if when is not None:
            self.db.execute(
                update(model).where(model.id == record_id).values(created_at=when, updated_at=when)
            )

    def appointment(self, person_id, starts_at: datetime, status: str) -> None:
        staff_id = self.coordinator.user.id
        self.db.add(
            Appointment(
                young_person_id=person_id,
                mentor_id=staff_id,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=1),
                duration_minutes=60,
                mode="in_person",
                status=status,
                created_by_id=staff_id,
                created_at=starts_at,
                updated_at=starts_at,
                timing_set_at=starts_at,
            )
        )
        self.db.commit()

    def goal(self, person_id, domain: str, achieved_at: datetime | None, **extra) -> None:
        self.db.add(
            Goal(
                young_person_id=person_id,
                domain=domain,
                title="A goal",
                status="achieved" if achieved_at else "in_progress",
                achieved_at=achieved_at,
                created_by_id=self.coordinator.user.id,
                created_at=START - timedelta(days=30),
                updated_at=START - timedelta(days=30),
                **extra,
            )
        )
        self.db.commit()

    def alert(
        self, person_id, kind: str, raised_at: datetime, acknowledged_after: timedelta | None = None
    ) -> None:
        self.db.add(
            Alert(
                young_person_id=person_id,
                kind=kind,
                urgent=kind == "urgent_help",
                status="acknowledged" if acknowledged_after else "open",
                summary="Something happened",
                last_occurred_at=raised_at,
                acknowledged_at=raised_at + acknowledged_after if acknowledged_after else None,
                created_at=raised_at,
                updated_at=raised_at,
            )
        )
        self.db.commit()

    def schedule(
        self, person_id, effective_from: datetime, *, days=WEEKDAYS, active: bool = True
    ) -> None:
        self.db.add(
            CheckInSchedule(
                young_person_id=person_id,
                days=list(days),
                local_time=time(18, 0),
                timezone="Europe/London",
                grace_minutes=60,
                active=active,
                effective_from=effective_from,
                updated_at=effective_from,
            )
        )
        self.db.commit()

    def check_ins(self, person_id, moments) -> None:
        self.db.add_all(
            CheckIn(
                young_person_id=person_id,
                client_ref=uuid.uuid4().hex,
                mood=3,
                feeling_safe=True,
                needs_help=False,
                created_at=moment,
                updated_at=moment,
            )
            for moment in moments
        )
        self.db.commit()

    def consent(self, person_id, consent: bool) -> None:
        self.db.execute(
            update(YoungPerson).where(YoungPerson.id == person_id).values(consent_reporting=consent)
        )
        self.db.commit()


@pytest.fixture
def arrange(programme, coordinator, db):
    return Arrange(programme, coordinator, db)


def run(caller, **params) -> dict:
    response = caller.get(REPORT, query_string=params)
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/json"
    return response.get_json()


def march(caller) -> dict:
    return run(caller, **MARCH)


def figures(report: dict) -> dict:
    """The report without the parts that say what it is (period, teams, rule, population)."""
    return {
        key: value
        for key, value in report.items()
        if key not in ("from", "to", "team_ids", "suppression", "population")
    }


# --- Who may run it ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["mentor", "referrer", "admin"])
def test_only_coordinators_may_run_the_report(as_role, role, coordinator):
    caller = as_role(role)
    for params in ({}, {"format": "csv"}):
        response = caller.get(REPORT, query_string=params)
        assert response.status_code == 403
        assert response.get_json()["code"] == 403
    assert run(coordinator)["enrolments"] == shown(0)


def test_young_people_and_strangers_are_turned_away(client, programme, coordinator):
    _, young_person = programme.young_person(coordinator)
    assert young_person.get(REPORT).status_code == 403
    assert client.get(REPORT).status_code == 401


def test_running_the_report_is_audited_without_naming_anyone(coordinator, arrange, db):
    arrange.person(when=day(3))
    march(coordinator)
    coordinator.get(REPORT, query_string={"format": "csv"})
    events = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "report.outcomes_run")
        .order_by(AuditEvent.occurred_at)
    ).all()
    assert [event.actor_id for event in events] == [coordinator.user.id] * 2
    assert {event.young_person_id for event in events} == {None}
    assert events[0].details == {
        "from": "2025-03-01T00:00:00+00:00",
        "to": "2025-04-01T00:00:00+00:00",
        "format": "json",
    }
    assert events[1].details["format"] == "csv"


# --- The period -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"since": "2025-03-01T00:00:00Z"},  # the field's name, not its key
        {"young_person_id": str(uuid.uuid4())},
        {"from": "2025-03-01T00:00:00"},  # naive
        {"to": "yesterday"},
        {"format": "xlsx"},
        {"from": "2025-04-01T00:00:00Z", "to": "2025-03-01T00:00:00Z"},
        {"from": "2999-01-01T00:00:00Z"},  # after `to`, which is now
    ],
)
def test_the_query_string_is_strict(coordinator, params):
    response = coordinator.get(REPORT, query_string=params)
    assert response.status_code == 422
    assert "query" in response.get_json()["errors"]


def test_the_period_defaults_to_the_last_90_days(coordinator, arrange):
    now = datetime.now(UTC)
    arrange.person(when=now - timedelta(days=100))
    recent = [arrange.person(when=now - timedelta(days=d)) for d in (89, 60, 30, 10, 1)]
    report = run(coordinator)
    until, since = at(report["to"]), at(report["from"])
    assert abs(until - now) < timedelta(minutes=1)
    assert until - since == timedelta(days=90)
    assert report["enrolments"] == shown(len(recent))
    # With only `to`, the 90 days before it.
    report = run(coordinator, to="2025-04-01T00:00:00+01:00")
    assert report["from"] == "2024-12-31T23:00:00Z"
    assert report["to"] == "2025-03-31T23:00:00Z"
    # A period of no length is allowed, and counts nothing.
    assert run(coordinator, **{"from": MARCH["to"], "to": MARCH["to"]})["enrolments"] == shown(0)


def test_the_period_includes_its_start_and_excludes_its_end(coordinator, arrange):
    inside = [
        START,
        START + timedelta(microseconds=1),
        day(15),
        at(MARCH["to"]) - timedelta(microseconds=1),
        day(31, hour=23),
    ]
    outside = [START - timedelta(microseconds=1), at(MARCH["to"]), day(45)]
    people = [arrange.person(when=when) for when in inside + outside]
    for person_id, when in zip(people, inside + outside, strict=True):
        arrange.goal(person_id, "housing", when)
        arrange.appointment(person_id, when, "attended")
        arrange.alert(person_id, "urgent_help", when)
    report = march(coordinator)
    assert report["enrolments"] == shown(5)
    assert report["goals_achieved"]["total"] == shown(5)
    assert report["appointment_attendance"]["attended"] == shown(5)
    assert report["alerts"]["total"] == shown(5)
    assert report["referrals"]["total"] == shown(5)
    # Every one of them is active now, whatever the period.
    assert report["active_caseload"]["total"] == shown(8)


# --- The figures --------------------------------------------------------------------------------


def build_march(arrange) -> dict:
    """A small programme with a known March 2025; returns the people by name."""
    people = {f"p{n}": arrange.person(when=day(n + 1)) for n in range(1, 6)}
    # Enrolled in February, so not an enrolment of March, but active now; a need of its own.
    people["p6"] = arrange.person(when=day(1) - timedelta(days=20), needs=["education"])
    for n in range(5):
        arrange.referral("teacher", decision="decline", when=day(10 + n))
        arrange.referral("police_officer", decision="withdraw", when=day(10 + n))
    p1, p2, p3, p4, p5, p6 = people.values()

    for person_id, attended, missed in ((p1, 3, 0), (p2, 3, 0), (p3, 0, 2), (p4, 0, 2), (p5, 0, 1)):
        for n in range(attended):
            arrange.appointment(person_id, day(3 + n), "attended")
        for n in range(missed):
            arrange.appointment(person_id, day(8 + n), "missed")
    arrange.appointment(p1, day(12), "cancelled")
    arrange.appointment(p2, day(20), "scheduled")
    arrange.appointment(p1, day(33), "attended")  # April

    for person_id in (p1, p2, p3, p4, p5):
        arrange.goal(person_id, "housing", day(20))
    for person_id in (p1, p1, p2, p2, p2):
        arrange.goal(person_id, "education", day(21))
    arrange.goal(p1, "housing", day(22), archived_at=day(23))  # deleted from the plan
    arrange.goal(p2, "housing", day(1) - timedelta(days=3))  # achieved in February
    arrange.goal(p3, "employment", None)  # not achieved

    for minutes, person_id in zip((10, 20, 30, 40, 50), (p1, p2, p3, p4, p5), strict=True):
        arrange.alert(person_id, "urgent_help", day(5), timedelta(minutes=minutes))
        arrange.alert(person_id, "missed_appointment", day(9))
    arrange.alert(p1, "urgent_help", day(1) - timedelta(days=1), timedelta(minutes=1))

    # Daily at 18:00 London time: p1-p4 from the 20th (12 each), p5 all month (31).
    for person_id in (p1, p2, p3, p4):
        arrange.schedule(person_id, day(20, hour=0))
        arrange.check_ins(person_id, [day(20 + n, hour=19) for n in range(10)])
    arrange.check_ins(p1, [day(10, hour=19)] * 3)  # before their schedule took effect
    arrange.schedule(p5, at("2025-02-01T00:00:00Z"))
    arrange.check_ins(p5, [day(n, hour=19) for n in range(1, 32)] + [day(15, hour=8)] * 4)
    arrange.check_ins(p5, [day(33, hour=19)])  # April
    arrange.schedule(p6, day(1, hour=0), active=False)
    arrange.check_ins(p6, [day(n, hour=19) for n in range(1, 20)])
    return people


MARCH_FIGURES = {
    "referrals": {
        "total": shown(15),
        "by_source": zeros(
            ("teacher", "police_officer", "care_worker", "probation_officer"),
            teacher=10,
            police_officer=5,
        ),
        "by_decision": zeros(
            ("submitted", "accepted", "declined", "withdrawn"), accepted=5, declined=5, withdrawn=5
        ),
    },
    "enrolments": shown(5),
    "active_caseload": {
        "total": shown(6),
        "by_domain": {
            **zeros(
                DOMAINS,
                housing=5,
                mental_health=5,
            ),
            "education": HIDDEN,  # p6 alone: 1 of 6, and needs overlap, so nothing else hides
        },
    },
    "appointment_attendance": {
        "attended": shown(6),
        "missed": shown(5),
        "recorded": shown(11),
        "rate": shown(0.545),
    },
    "check_ins": {
        "expected": shown(79),
        "received": shown(71),  # 4 x 10, and p5's 35 count as the 31 expected
        "not_received": shown(8),
        "rate": shown(0.899),
    },
    "goals_achieved": {
        "total": shown(10),
        "by_domain": zeros(
            DOMAINS,
            housing=5,
            education=5,
        ),
    },
    "alerts": {
        "total": shown(10),
        "by_kind": zeros(
            (
                "urgent_help",
                "feeling_unsafe",
                "missed_check_in",
                "missed_appointment",
                "safety_timer_expired",
                "urgent_help_unacknowledged",
                "duress",
                "phone_compromised",
                "message_unanswered",
            ),
            urgent_help=5,
            missed_appointment=5,
        ),
        "acknowledged": shown(5),
        "not_acknowledged": shown(5),
        "median_minutes_to_acknowledge": shown(30.0),
    },
}


def test_the_figures_of_a_known_month(coordinator, arrange, db):
    build_march(arrange)
    report = march(coordinator)
    assert report["from"] == MARCH["from"] and report["to"] == MARCH["to"]
    assert figures(report) == MARCH_FIGURES
    assert report["suppression"]["threshold"] == 5
    assert "1 to 4" in report["suppression"]["rule"]
    assert "consent" in report["population"]
    # The expected check-ins are those the missed-check-in sweep works from.
    expected = sum(
        len(list(schedules.occurrences(s, max(START, s.effective_from), at(MARCH["to"]))))
        for s in db.scalars(select(CheckInSchedule).where(CheckInSchedule.active.is_(True)))
    )
    assert expected == 79


def test_a_young_person_who_does_not_consent_changes_nothing(coordinator, arrange, db):
    build_march(arrange)
    before = march(coordinator)

    def a_bit_of_everything(person_id):
        arrange.appointment(person_id, day(4), "attended")
        arrange.appointment(person_id, day(5), "missed")
        arrange.goal(person_id, "housing", day(6))
        arrange.alert(person_id, "feeling_unsafe", day(7), timedelta(minutes=3))
        arrange.schedule(person_id, day(20, hour=0))
        arrange.check_ins(person_id, [day(21, hour=19)])

    refuses = arrange.person(consent=False, when=day(3), needs=["family"])
    a_bit_of_everything(refuses)
    erased = arrange.person(when=day(3), needs=["family"])
    a_bit_of_everything(erased)
    # Erased on request: the request withdraws consent to reporting with everything else.
    db.execute(
        update(YoungPerson)
        .where(YoungPerson.id == erased)
        .values(erased_at=day(40), consent_reporting=False)
    )
    db.commit()
    assert figures(march(coordinator)) == figures(before)

    # The same records do count once consent is given.
    arrange.consent(refuses, True)
    after = march(coordinator)
    assert after["referrals"]["total"] == shown(16)
    assert after["enrolments"] == shown(6)
    assert after["appointment_attendance"]["recorded"] == shown(13)
    assert after["check_ins"]["expected"] == shown(91)
    assert after["alerts"]["by_kind"]["feeling_unsafe"] == HIDDEN
    # And stop counting when it is withdrawn.
    arrange.consent(refuses, False)
    assert figures(march(coordinator)) == figures(before)


def test_referrals_never_accepted_are_counted_anonymously(coordinator, arrange):
    for _ in range(5):
        arrange.referral("care_worker", when=day(2))  # still waiting for a decision
    for _ in range(5):
        arrange.person(consent=False, when=day(2), referrer_type="care_worker")
    referrals = march(coordinator)["referrals"]
    assert referrals["total"] == shown(5)
    assert referrals["by_source"]["care_worker"] == shown(5)
    assert referrals["by_decision"]["submitted"] == shown(5)
    assert referrals["by_decision"]["accepted"] == shown(0)


# --- Suppression --------------------------------------------------------------------------------


def breakdowns(report: dict):
    """(total, cells) for every breakdown whose cells add up to its total."""
    referrals, attendance, check_ins = (
        report["referrals"],
        report["appointment_attendance"],
        report["check_ins"],
    )
    alerts, goals = report["alerts"], report["goals_achieved"]
    yield referrals["total"], referrals["by_source"].values()
    yield referrals["total"], referrals["by_decision"].values()
    yield attendance["recorded"], (attendance["attended"], attendance["missed"])
    yield check_ins["expected"], (check_ins["received"], check_ins["not_received"])
    yield goals["total"], goals["by_domain"].values()
    yield alerts["total"], alerts["by_kind"].values()
    yield alerts["total"], (alerts["acknowledged"], alerts["not_acknowledged"])


def leaf_cells(value):
    if isinstance(value, dict) and "suppressed" in value:
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from leaf_cells(item)


def assert_nothing_small_or_recoverable(report: dict) -> None:
    for cell in leaf_cells(figures(report)):
        if cell["suppressed"]:
            assert cell["value"] is None
        if isinstance(cell["value"], int):
            assert cell["value"] == 0 or cell["value"] >= 5
    for total, parts in breakdowns(report):
        parts = list(parts)
        hidden = [part for part in parts if part["suppressed"]]
        if total["suppressed"]:
            continue
        assert len(hidden) != 1
        shown_sum = sum(part["value"] for part in parts if not part["suppressed"])
        assert not hidden or total["value"] - shown_sum >= 5


def test_a_count_of_4_is_suppressed_and_5_is_shown(coordinator, arrange):
    people = [arrange.person(when=day(2)) for _ in range(4)]
    for person_id in people:
        arrange.goal(person_id, "housing", day(3))
        arrange.appointment(person_id, day(4), "attended")
    report = march(coordinator)
    assert report["enrolments"] == HIDDEN
    assert report["referrals"]["total"] == HIDDEN
    assert report["referrals"]["by_source"]["teacher"] == HIDDEN
    assert report["referrals"]["by_source"]["police_officer"] == shown(0)
    assert report["referrals"]["by_decision"]["accepted"] == HIDDEN
    assert report["active_caseload"]["total"] == HIDDEN
    assert report["active_caseload"]["by_domain"]["housing"] == HIDDEN
    assert report["goals_achieved"]["total"] == HIDDEN
    assert report["goals_achieved"]["by_domain"]["housing"] == HIDDEN
    assert report["appointment_attendance"]["rate"] == HIDDEN
    assert_nothing_small_or_recoverable(report)

    fifth = arrange.person(when=day(2))
    arrange.goal(fifth, "housing", day(3))
    arrange.appointment(fifth, day(4), "attended")
    report = march(coordinator)
    assert report["enrolments"] == shown(5)
    assert report["referrals"]["by_source"]["teacher"] == shown(5)
    assert report["active_caseload"]["by_domain"]["housing"] == shown(5)
    assert report["goals_achieved"]["by_domain"]["housing"] == shown(5)
    assert report["appointment_attendance"]["rate"] == shown(1.0)
    assert_nothing_small_or_recoverable(report)


def test_a_hidden_cell_cannot_be_worked_out_from_its_total(coordinator, arrange):
    people = [arrange.person(consent=True, when=day(1) - timedelta(days=40)) for _ in range(6)]
    a, b = people[:2]
    # Goals: 4 housing beside 6 education; the total of 10 is shown, so 6 must hide too.
    for _ in range(4):
        arrange.goal(a, "housing", day(2))
    for _ in range(6):
        arrange.goal(b, "education", day(2))
    # Alerts: 1 + 1 hidden would add up to 2, itself small: the 6 hides as well.
    arrange.alert(a, "urgent_help", day(3))
    arrange.alert(a, "feeling_unsafe", day(3))
    for _ in range(6):
        arrange.alert(b, "missed_check_in", day(3))
    # Attendance: 2 missed of 9; the rate would give the 7 attended, and so the 2.
    for n in range(7):
        arrange.appointment(people[n % 6], day(5 + n), "attended")
    for n in range(2):
        arrange.appointment(people[n], day(20 + n), "missed")
    # Check-ins: 12 expected, 10 received; the rate and the 10 would give away the 2 missed.
    arrange.schedule(a, day(20, hour=0))
    arrange.check_ins(a, [day(20 + n, hour=19) for n in range(10)])
    # Referrals: 6 teachers' beside 2 police officers'.
    for _ in range(2):
        arrange.referral("police_officer", decision="withdraw", when=day(8))
    for _ in range(6):
        arrange.referral("teacher", decision="decline", when=day(8))

    report = march(coordinator)
    goals = report["goals_achieved"]
    assert goals["total"] == shown(10)
    assert goals["by_domain"]["housing"] == HIDDEN
    assert goals["by_domain"]["education"] == HIDDEN
    assert goals["by_domain"]["family"] == shown(0)
    alerts = report["alerts"]
    assert alerts["total"] == shown(8)
    assert [alerts["by_kind"][k] for k in ("urgent_help", "feeling_unsafe", "missed_check_in")] == [
        HIDDEN
    ] * 3
    assert alerts["acknowledged"] == shown(0) and alerts["not_acknowledged"] == shown(8)
    assert alerts["median_minutes_to_acknowledge"] == shown(None)  # nothing to measure
    attendance = report["appointment_attendance"]
    assert attendance == {
        "attended": HIDDEN,
        "missed": HIDDEN,
        "recorded": shown(9),
        "rate": HIDDEN,
    }
    assert report["check_ins"] == {
        "expected": shown(12),
        "received": HIDDEN,
        "not_received": HIDDEN,
        "rate": HIDDEN,
    }
    referrals = report["referrals"]
    assert referrals["total"] == shown(8)
    assert referrals["by_source"]["teacher"] == HIDDEN
    assert referrals["by_source"]["police_officer"] == HIDDEN
    assert referrals["by_decision"]["declined"] == HIDDEN
    assert referrals["by_decision"]["withdrawn"] == HIDDEN
    assert_nothing_small_or_recoverable(report)


def test_the_median_time_to_acknowledge_needs_5_alerts(coordinator, arrange):
    person_id = arrange.person(when=day(1) - timedelta(days=40))
    for minutes in (5, 7, 9, 60):
        arrange.alert(person_id, "urgent_help", day(4), timedelta(minutes=minutes))
    alerts = march(coordinator)["alerts"]
    assert alerts["acknowledged"] == HIDDEN
    assert alerts["median_minutes_to_acknowledge"] == HIDDEN
    arrange.alert(person_id, "urgent_help", day(4), timedelta(minutes=90))
    alerts = march(coordinator)["alerts"]
    assert alerts["acknowledged"] == shown(5)
    assert alerts["median_minutes_to_acknowledge"] == shown(9.0)
    arrange.alert(person_id, "urgent_help", day(4), timedelta(minutes=12, seconds=30))
    # An even number: the mean of the middle two (9 and 12.5).
    assert march(coordinator)["alerts"]["median_minutes_to_acknowledge"] == shown(10.8)


def test_the_known_month_passes_the_suppression_checks(coordinator, arrange):
    build_march(arrange)
    assert_nothing_small_or_recoverable(march(coordinator))


# --- CSV and caching ----------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_same_figures_as_csv(coordinator, arrange):
    build_march(arrange)
    for _ in range(2):
        arrange.referral("probation_officer", when=day(12))
    by_format = coordinator.get(REPORT, query_string={**MARCH, "format": "csv"})
    by_accept = coordinator.get(REPORT, query_string=MARCH, headers={"Accept": "text/csv"})
    for response in (by_format, by_accept):
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
        assert response.headers["ETag"]
    assert by_format.get_data() == by_accept.get_data()
    rows = read_csv(by_format)
    assert rows[0] == ["figure", "breakdown", "value"]
    assert rows[1:3] == [["period", "from", MARCH["from"]], ["period", "to", MARCH["to"]]]
    values = {(figure, breakdown): value for figure, breakdown, value in rows[1:]}
    assert values[("enrolments", "total")] == "5"
    assert values[("referrals", "total")] == "17"
    assert values[("referrals_by_source", "probation_officer")] == "[c]"
    assert values[("referrals_by_source", "police_officer")] == "[c]"  # secondary
    assert values[("referrals_by_decision", "submitted")] == "[c]"
    assert values[("active_caseload_by_domain", "education")] == "[c]"
    assert values[("active_caseload_by_domain", "family")] == "0"
    assert values[("appointment_attendance_rate", "total")] == "0.545"
    assert values[("alert_median_minutes_to_acknowledge", "total")] == "30.0"
    assert values[("check_in_rate", "total")] == "0.899"
    assert values[("note", "[c]")].startswith("Suppressed.")
    # One row per figure of the JSON answer, with the same values.
    report = march(coordinator)
    json_rows = {
        ("enrolments", "total"): report["enrolments"],
        ("goals_achieved_by_domain", "education"): report["goals_achieved"]["by_domain"][
            "education"
        ],
        ("alerts", "not_acknowledged"): report["alerts"]["not_acknowledged"],
        ("check_ins", "expected"): report["check_ins"]["expected"],
    }
    for key, cell in json_rows.items():
        assert values[key] == ("[c]" if cell["suppressed"] else str(cell["value"]))
    figure_rows = [row for row in rows[1:] if row[0] not in ("period", "scope", "note")]
    assert len(figure_rows) == len(list(leaf_cells(figures(report)))) == 51


def test_a_rate_with_nothing_to_measure_is_marked_not_applicable_in_csv(coordinator):
    rows = read_csv(coordinator.get(REPORT, query_string={**MARCH, "format": "csv"}))
    values = {(figure, breakdown): value for figure, breakdown, value in rows[1:]}
    assert values[("appointment_attendance_rate", "total")] == "[z]"
    assert values[("check_in_rate", "total")] == "[z]"
    assert values[("enrolments", "total")] == "0"


def test_json_is_the_default_and_asked_for_by_accept(coordinator):
    for accept in (None, "application/json", "*/*", "text/html"):
        headers = {"Accept": accept} if accept else {}
        response = coordinator.get(REPORT, query_string=MARCH, headers=headers)
        assert response.status_code == 200 and response.mimetype == "application/json"
        assert "Accept" in response.headers["Vary"]
    response = coordinator.get(
        REPORT, query_string=MARCH, headers={"Accept": "text/csv;q=0.5, application/json"}
    )
    assert response.mimetype == "application/json"
    # `format` wins over Accept.
    response = coordinator.get(
        REPORT, query_string={**MARCH, "format": "json"}, headers={"Accept": "text/csv"}
    )
    assert response.mimetype == "application/json"


@pytest.mark.parametrize("params", [MARCH, {**MARCH, "format": "csv"}])
def test_an_unchanged_report_answers_304(coordinator, arrange, params):
    person_id = arrange.person(when=day(2))
    first = coordinator.get(REPORT, query_string=params)
    tag = first.headers["ETag"]
    assert tag and first.headers["Cache-Control"] == "no-store"
    again = coordinator.get(REPORT, query_string=params, headers={"If-None-Match": tag})
    assert again.status_code == 304
    for _ in range(5):
        arrange.goal(person_id, "family", day(9))
    changed = coordinator.get(REPORT, query_string=params, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag


# --- Cost ---------------------------------------------------------------------------------------


def test_the_report_costs_the_same_queries_at_any_size(coordinator, arrange, count_queries):
    def grow(people: int) -> None:
        for _ in range(people):
            person_id = arrange.person(when=day(2))
            arrange.referral("care_worker", decision="decline", when=day(2))
            arrange.appointment(person_id, day(3), "attended")
            arrange.appointment(person_id, day(4), "missed")
            arrange.goal(person_id, "housing", day(5))
            for n in range(5):
                arrange.alert(person_id, "urgent_help", day(6), timedelta(minutes=n + 1))
            arrange.schedule(person_id, day(10, hour=0), days=("mon", "thu"))
            arrange.check_ins(person_id, [day(11 + n, hour=19) for n in range(4)])

    budgets = []
    for people in (1, 12):
        grow(people)
        for params in (MARCH, {**MARCH, "format": "csv"}):
            with count_queries() as counted:
                response = coordinator.get(REPORT, query_string=params)
            assert response.status_code == 200
            budgets.append(counted.count)
    # Sign-in (2), referrals, young people (2), attendance, check-ins, goals, alerts (2 with
    # the median), and the audit entry: the same at any size, and for either format.
    assert budgets == [budgets[0]] * 4, budgets
    assert budgets[0] <= 12, budgets
