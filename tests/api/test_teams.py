"""Teams across London's boroughs, through HTTP: scope by team, the lead, duty, escalation,
transfers, and reports per team."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from scheduler.jobs import run_sweep
from tests.factories import book, sent_to
from youthapp.models import DEFAULT_TEAM_ID, Alert, AuditEvent
from youthapp.vocabulary import LONDON_BOROUGHS

URGENT = {"client_ref": "help", "mood": 1, "feeling_safe": False, "needs_help": True}


def make_team(admin, name: str, *boroughs: str) -> dict:
    response = admin.post("/api/v1/teams", json={"name": name, "boroughs": list(boroughs)})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def team_caller(as_role, admin, role: str, team: dict, **details):
    caller = as_role(role, **details)
    response = admin.put(f"/api/v1/users/{caller.user.id}/teams", json={"team_ids": [team["id"]]})
    assert response.status_code == 200, response.get_json()
    return caller


@pytest.fixture
def two_teams(admin, as_role, programme):
    """Croydon's team and Enfield's, a coordinator in each, and an Enfield young person with
    a housing mentor, an appointment, a goal and an open urgent alert."""
    croydon = make_team(admin, "South", "Croydon")
    enfield = make_team(admin, "North", "Enfield")
    south = team_caller(as_role, admin, "coordinator", croydon)
    north = team_caller(as_role, admin, "coordinator", enfield)
    mentor = team_caller(as_role, admin, "mentor", enfield, specialty="housing")
    enrolment = programme.enrol(north, borough="Enfield")
    person_id = enrolment["young_person_id"]
    young_person = programme.activate(enrolment)
    programme.assign(north, person_id, mentor)
    return {
        "croydon": croydon,
        "enfield": enfield,
        "south": south,
        "north": north,
        "mentor": mentor,
        "person_id": person_id,
        "young_person": young_person,
    }


class TestTeams:
    def test_the_default_team_covers_every_borough_until_a_team_takes_some(self, admin):
        teams = admin.get("/api/v1/teams").get_json()
        assert [(t["name"], t["is_default"]) for t in teams] == [("London", True)]
        assert teams[0]["id"] == str(DEFAULT_TEAM_ID)
        assert sorted(teams[0]["boroughs"]) == sorted(LONDON_BOROUGHS)

        south = make_team(admin, "South", "croydon", "Sutton")
        assert south["boroughs"] == ["Croydon", "Sutton"] and south["is_default"] is False
        default = next(t for t in admin.get("/api/v1/teams").get_json() if t["is_default"])
        assert "Croydon" not in default["boroughs"] and len(default["boroughs"]) == 31

    def test_a_borough_belongs_to_one_team_at_most(self, admin):
        make_team(admin, "South", "Croydon")
        taken = admin.post("/api/v1/teams", json={"name": "Other", "boroughs": ["Croydon"]})
        assert taken.status_code == 409
        assert "Croydon" in taken.get_json()["message"]
        unknown = admin.post("/api/v1/teams", json={"name": "X", "boroughs": ["Gotham"]})
        assert unknown.status_code == 422 and "boroughs" in unknown.get_json()["errors"]["json"]
        same_name = admin.post("/api/v1/teams", json={"name": "South", "boroughs": []})
        assert same_name.status_code == 409
        # Nothing half-made: only the first team exists.
        assert [t["name"] for t in admin.get("/api/v1/teams").get_json()] == ["London", "South"]

    def test_patch_renames_and_moves_boroughs_but_not_the_default_teams(self, admin):
        south = make_team(admin, "South", "Croydon")
        moved = admin.patch(
            f"/api/v1/teams/{south['id']}", json={"name": "South West", "boroughs": ["Sutton"]}
        )
        assert moved.status_code == 200
        assert moved.get_json()["name"] == "South West" and moved.get_json()["boroughs"] == [
            "Sutton"
        ]
        default = next(t for t in admin.get("/api/v1/teams").get_json() if t["is_default"])
        assert "Croydon" in default["boroughs"] and "Sutton" not in default["boroughs"]
        refused = admin.patch(f"/api/v1/teams/{DEFAULT_TEAM_ID}", json={"boroughs": ["Brent"]})
        assert refused.status_code == 422
        renamed = admin.patch(f"/api/v1/teams/{DEFAULT_TEAM_ID}", json={"name": "All London"})
        assert renamed.status_code == 200 and renamed.get_json()["is_default"] is True
        missing = admin.patch("/api/v1/teams/00000000-0000-4000-8000-0000000000ff", json={})
        assert missing.status_code == 404

    def test_who_may_see_and_make_teams(self, as_role):
        for role in ("coordinator", "lead"):
            assert as_role(role).get("/api/v1/teams").status_code == 200
        for role in ("mentor", "referrer"):
            assert as_role(role).get("/api/v1/teams").status_code == 403
        for role in ("coordinator", "lead", "mentor"):
            made = as_role(role).post("/api/v1/teams", json={"name": "X", "boroughs": []})
            assert made.status_code == 403

    def test_staff_join_the_default_team_unless_given_teams(self, admin):
        south = make_team(admin, "South", "Croydon")
        body = {"password": "a long test passphrase", "display_name": "C", "role": "coordinator"}
        plain = admin.post("/api/v1/users", json={**body, "email": "c1@example.org"})
        assert plain.status_code == 201 and plain.get_json()["team_ids"] == [str(DEFAULT_TEAM_ID)]
        placed = admin.post(
            "/api/v1/users", json={**body, "email": "c2@example.org", "team_ids": [south["id"]]}
        )
        assert placed.status_code == 201 and placed.get_json()["team_ids"] == [south["id"]]
        referrer = admin.post(
            "/api/v1/users",
            json={
                **body,
                "email": "r@example.org",
                "role": "referrer",
                "referrer_type": "teacher",
                "organisation": "School",
                "team_ids": [south["id"]],
            },
        )
        assert referrer.status_code == 422
        # Nothing was made of the refused account.
        emails = [u["email"] for u in admin.get("/api/v1/users").get_json()]
        assert "r@example.org" not in emails

    def test_put_user_teams(self, admin, as_role):
        south = make_team(admin, "South", "Croydon")
        north = make_team(admin, "North", "Enfield")
        coordinator = as_role("coordinator")
        both = admin.put(
            f"/api/v1/users/{coordinator.user.id}/teams",
            json={"team_ids": [south["id"], north["id"]]},
        )
        assert both.status_code == 200
        assert sorted(both.get_json()["team_ids"]) == sorted([south["id"], north["id"]])
        assert admin.get(f"/api/v1/users/{coordinator.user.id}").get_json()["team_ids"] == sorted(
            [south["id"], north["id"]]
        )
        none = admin.put(f"/api/v1/users/{coordinator.user.id}/teams", json={"team_ids": []})
        assert none.status_code == 422
        bogus = admin.put(
            f"/api/v1/users/{coordinator.user.id}/teams",
            json={"team_ids": ["00000000-0000-4000-8000-0000000000ff"]},
        )
        assert bogus.status_code == 422
        lead = as_role("lead")
        assert (
            admin.put(f"/api/v1/users/{lead.user.id}/teams", json={"team_ids": [south["id"]]})
        ).status_code == 422
        assert (
            coordinator.put(
                f"/api/v1/users/{coordinator.user.id}/teams", json={"team_ids": [south["id"]]}
            ).status_code
            == 403
        )


class TestScopeByTeam:
    def test_another_teams_coordinator_finds_nothing(self, two_teams, programme):
        south, north = two_teams["south"], two_teams["north"]
        person_id = two_teams["person_id"]
        young_person = two_teams["young_person"]
        young_person.post("/api/v1/me/check-ins", json=URGENT)
        referral = programme.refer(borough="Enfield")
        alert = north.get("/api/v1/alerts").get_json()[0]
        goal = north.post(
            f"/api/v1/young-people/{person_id}/plan/goals",
            json={"domain": "housing", "title": "A safe place", "description": "Somewhere"},
        ).get_json()
        appointment = book(two_teams["mentor"], person_id, datetime.now(UTC) + timedelta(days=3))
        reads = [
            f"/api/v1/young-people/{person_id}",
            f"/api/v1/young-people/{person_id}/plan",
            f"/api/v1/young-people/{person_id}/safety-plan",
            f"/api/v1/young-people/{person_id}/check-ins",
            f"/api/v1/young-people/{person_id}/status-history",
            f"/api/v1/young-people/{person_id}/assignments",
            f"/api/v1/referrals/{referral['id']}",
            f"/api/v1/alerts/{alert['id']}",
            f"/api/v1/goals/{goal['id']}",
            f"/api/v1/appointments/{appointment['id']}",
        ]
        for path in reads:
            assert north.get(path).status_code == 200, path
            assert south.get(path).status_code == 404, path
        change = south.patch(f"/api/v1/young-people/{person_id}", json={"phone": "020 7946 0000"})
        assert change.status_code == 404
        assert south.post(f"/api/v1/alerts/{alert['id']}/acknowledge").status_code == 404
        erasure = {"reason": "Asked to be forgotten"}
        assert (
            south.post(f"/api/v1/young-people/{person_id}/erasure", json=erasure).status_code == 404
        )
        # Lists hold only the team's own.
        for path in ("/api/v1/young-people", "/api/v1/referrals", "/api/v1/alerts"):
            assert south.get(path).get_json() == [], path
            assert north.get(path).get_json() != [], path
        assert south.get(f"/api/v1/appointments?young_person_id={person_id}").get_json() == []

    def test_a_coordinator_lists_their_teams_young_people_in_name_order(
        self, admin, as_role, programme
    ):
        """One team or several (access.young_people_listed_for names them in the query):
        each coordinator's list holds their teams' young people, by last name, first name
        and id, paged and counted."""
        croydon = make_team(admin, "South", "Croydon")
        enfield = make_team(admin, "North", "Enfield")
        south = team_caller(as_role, admin, "coordinator", croydon)
        north = team_caller(as_role, admin, "coordinator", enfield)
        both = as_role("coordinator")
        placed = admin.put(
            f"/api/v1/users/{both.user.id}/teams",
            json={"team_ids": [croydon["id"], enfield["id"]]},
        )
        assert placed.status_code == 200
        for borough, first, last in (
            ("Croydon", "Zoe", "Adams"),
            ("Enfield", "Cara", "Zed"),
            ("Croydon", "Amir", "Brown"),
            ("Enfield", "Ben", "Adams"),
            ("Croydon", "Abe", "Adams"),
        ):
            programme.enrol(both, borough=borough, first_name=first, last_name=last)

        def listed(caller, query=""):
            response = caller.get(f"/api/v1/young-people{query}")
            assert response.status_code == 200, response.get_json()
            names = [(p["last_name"], p["first_name"]) for p in response.get_json()]
            return names, json.loads(response.headers["X-Pagination"])["total"]

        assert listed(south) == ([("Adams", "Abe"), ("Adams", "Zoe"), ("Brown", "Amir")], 3)
        assert listed(north) == ([("Adams", "Ben"), ("Zed", "Cara")], 2)
        everyone = [("Adams", "Abe"), ("Adams", "Ben"), ("Adams", "Zoe"), ("Brown", "Amir")]
        assert listed(both) == (everyone + [("Zed", "Cara")], 5)
        assert listed(both, "?page_size=2&page=2") == (everyone[2:], 5)
        assert listed(both, "?q=adams") == (everyone[:3], 3)

    def test_a_lead_reads_every_team_and_changes_nothing(self, two_teams, as_role, db):
        lead = as_role("lead")
        person_id = two_teams["person_id"]
        two_teams["young_person"].post("/api/v1/me/check-ins", json=URGENT)
        alert = two_teams["north"].get("/api/v1/alerts").get_json()[0]
        for path in (
            f"/api/v1/young-people/{person_id}",
            f"/api/v1/young-people/{person_id}/plan",
            f"/api/v1/alerts/{alert['id']}",
            "/api/v1/young-people",
            "/api/v1/referrals",
        ):
            assert lead.get(path).status_code == 200, path
        assert lead.get("/api/v1/young-people").get_json()[0]["id"] == person_id
        for method, path, body in (
            ("patch", f"/api/v1/young-people/{person_id}", {"phone": "0"}),
            ("post", f"/api/v1/young-people/{person_id}/plan/goals", {"domain": "housing"}),
            ("post", f"/api/v1/alerts/{alert['id']}/acknowledge", None),
            ("put", "/api/v1/me/duty", {"on_duty": True}),
        ):
            response = getattr(lead, method)(path, json=body)
            assert response.status_code == 403, (path, response.get_json())
        # The lead's reads are audited like any staff read.
        db.rollback()
        audited = db.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.actor_id == lead.user.id,
                AuditEvent.young_person_id == uuid.UUID(person_id),
            )
        )
        assert audited >= 4

    def test_a_mentor_keeps_assignment_scope_across_teams(self, two_teams, admin):
        mentor = two_teams["mentor"]
        # The mentor moves to the south team; their assignment still gives them the case.
        admin.put(
            f"/api/v1/users/{mentor.user.id}/teams", json={"team_ids": [two_teams["croydon"]["id"]]}
        )
        assert mentor.get(f"/api/v1/young-people/{two_teams['person_id']}").status_code == 200

    def test_a_new_referral_goes_to_its_boroughs_team(self, two_teams, programme, db):
        referral = programme.refer(borough="Croydon")

        def told(caller) -> list[str]:
            return [n.data["referral_id"] for n in sent_to(db, caller, "referral_submitted")]

        assert told(two_teams["south"]) == [referral["id"]]
        # North heard of its own young person's referral, never of Croydon's.
        assert len(told(two_teams["north"])) == 1 and referral["id"] not in told(two_teams["north"])

    def test_a_team_made_later_takes_its_boroughs_cases(self, admin, as_role, programme):
        everyone = as_role("coordinator")  # in the default team
        person_id = programme.enrol(everyone, borough="Croydon")["young_person_id"]
        south = make_team(admin, "South", "Croydon")
        assert everyone.get(f"/api/v1/young-people/{person_id}").status_code == 404
        newcomer = team_caller(as_role, admin, "coordinator", south)
        record = newcomer.get(f"/api/v1/young-people/{person_id}")
        assert record.status_code == 200 and record.get_json()["team_id"] == south["id"]
        # Letting the borough go hands the case back to the default team.
        admin.patch(f"/api/v1/teams/{south['id']}", json={"boroughs": []})
        assert everyone.get(f"/api/v1/young-people/{person_id}").status_code == 200
        assert newcomer.get(f"/api/v1/young-people/{person_id}").status_code == 404


class TestDutyAndEscalation:
    def test_urgent_alerts_go_to_the_teams_on_duty_coordinators(
        self, two_teams, as_role, admin, db
    ):
        north, south, mentor = two_teams["north"], two_teams["south"], two_teams["mentor"]
        off_duty = team_caller(as_role, admin, "coordinator", two_teams["enfield"])
        lead = as_role("lead")
        on = north.put("/api/v1/me/duty", json={"on_duty": True})
        assert on.status_code == 200 and on.get_json()["on_duty"] is True
        assert on.get_json()["team_ids"] == [two_teams["enfield"]["id"]]
        two_teams["young_person"].post("/api/v1/me/check-ins", json=URGENT)
        assert len(sent_to(db, north, "alert")) == 1
        assert len(sent_to(db, mentor, "alert")) == 1
        for nobody in (off_duty, south, lead):
            assert sent_to(db, nobody, "alert") == []

    def test_with_nobody_on_duty_every_team_coordinator_is_told(
        self, two_teams, as_role, admin, db
    ):
        second = team_caller(as_role, admin, "coordinator", two_teams["enfield"])
        two_teams["young_person"].post("/api/v1/me/check-ins", json=URGENT)
        for told in (two_teams["north"], second, two_teams["mentor"]):
            assert len(sent_to(db, told, "alert")) == 1
        assert sent_to(db, two_teams["south"], "alert") == []

    def test_escalation_reaches_the_whole_team_and_every_lead(
        self, two_teams, as_role, admin, db, context
    ):
        north, south = two_teams["north"], two_teams["south"]
        off_duty = team_caller(as_role, admin, "coordinator", two_teams["enfield"])
        lead = as_role("lead")
        north.put("/api/v1/me/duty", json={"on_duty": True})
        two_teams["young_person"].post("/api/v1/me/check-ins", json=URGENT)
        db.rollback()
        raised = db.scalar(select(Alert.created_at).where(Alert.kind == "urgent_help"))
        assert run_sweep(context, "escalations", raised + timedelta(minutes=15)) == 1

        def escalations(caller) -> int:
            return sum(
                n.data.get("kind") == "urgent_help_unacknowledged" for n in sent_to(db, caller)
            )

        assert escalations(north) == escalations(off_duty) == escalations(lead) == 1
        assert escalations(south) == 0 and escalations(two_teams["mentor"]) == 0
        # The lead reads the escalated alert, as every team's.
        assert any(
            a["kind"] == "urgent_help_unacknowledged" for a in lead.get("/api/v1/alerts").get_json()
        )

    def test_the_sweeps_tell_only_the_young_persons_team(
        self, two_teams, as_role, admin, db, context
    ):
        """Every sweep that tells staff (an expired safety timer, a missed check-in, an
        escalation) goes to the young person's team, never to another team's coordinators."""
        north, south, mentor = two_teams["north"], two_teams["south"], two_teams["mentor"]
        person_id, young_person = two_teams["person_id"], two_teams["young_person"]
        back = datetime.now(UTC) + timedelta(minutes=30)
        timer = young_person.post(
            "/api/v1/me/safety-timers", json={"expected_back_at": back.isoformat()}
        )
        assert timer.status_code == 201, timer.get_json()
        mentor.put(
            f"/api/v1/young-people/{person_id}/check-in-schedule",
            headers={"If-Match": "*"},
            json={
                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "local_time": "18:00",
                "grace_minutes": 30,
                "active": True,
            },
        )
        later = datetime.now(UTC) + timedelta(days=2)
        assert run_sweep(context, "expired_safety_timers", later) == 1
        assert run_sweep(context, "missed_check_ins", later) >= 1
        assert run_sweep(context, "escalations", later + timedelta(minutes=15)) >= 1
        db.rollback()
        kinds = {a.kind for a in db.scalars(select(Alert))}
        assert {"safety_timer_expired", "missed_check_in", "urgent_help_unacknowledged"} <= kinds
        told = {n.data.get("kind") for n in sent_to(db, north, "alert")}
        assert {"safety_timer_expired", "missed_check_in", "urgent_help_unacknowledged"} <= told
        assert sent_to(db, south, "alert") == []

    def test_duty_is_for_coordinators(self, as_role):
        assert as_role("mentor").put("/api/v1/me/duty", json={"on_duty": True}).status_code == 403
        coordinator = as_role("coordinator")
        assert coordinator.put("/api/v1/me/duty", json={"on_duty": "yes"}).status_code == 422
        assert coordinator.put("/api/v1/me/duty", json={}).status_code == 422
        off = coordinator.put("/api/v1/me/duty", json={"on_duty": False})
        assert off.status_code == 200 and off.get_json()["on_duty"] is False


class TestTransfer:
    def test_a_move_to_another_teams_borough_moves_the_case(self, two_teams, db):
        north, south, mentor = two_teams["north"], two_teams["south"], two_teams["mentor"]
        person_id = two_teams["person_id"]
        book(mentor, person_id, datetime.now(UTC) + timedelta(days=3))
        moved = north.patch(f"/api/v1/young-people/{person_id}", json={"borough": "Croydon"})
        assert moved.status_code == 200, moved.get_json()
        assert moved.get_json()["team_id"] == two_teams["croydon"]["id"]
        # In the same request: the old team is out, the new one in, the mentor stays.
        assert north.get(f"/api/v1/young-people/{person_id}").status_code == 404
        assert north.get("/api/v1/referrals").get_json() == []
        assert south.get(f"/api/v1/young-people/{person_id}").status_code == 200
        assert len(south.get("/api/v1/referrals").get_json()) == 1
        assert mentor.get(f"/api/v1/young-people/{person_id}").status_code == 200
        history = south.get(f"/api/v1/young-people/{person_id}/status-history").get_json()
        assert history[-1]["reason"] == "transfer"
        assert history[-1]["status"] == "active"
        assert history[-1]["from_team_id"] == two_teams["enfield"]["id"]
        assert history[-1]["to_team_id"] == two_teams["croydon"]["id"]
        told = sent_to(db, south, "case_transferred")
        assert [n.data["young_person_id"] for n in told] == [person_id]
        assert "young" in told[0].body.lower() and "Croydon" not in told[0].body
        assert sent_to(db, north, "case_transferred") == []

    def test_an_open_alert_moves_with_the_case(self, two_teams, db):
        north, south, mentor = two_teams["north"], two_teams["south"], two_teams["mentor"]
        person_id = two_teams["person_id"]
        two_teams["young_person"].post("/api/v1/me/check-ins", json=URGENT)
        assert len(sent_to(db, north, "alert")) == 1  # not pushed yet: no dispatcher ran
        north.patch(f"/api/v1/young-people/{person_id}", json={"borough": "Croydon"})
        # The old team is no longer pushed about the young person; the new team hears of
        # the alert that is still open, and the mentor's message stays.
        assert sent_to(db, north, "alert") == []
        assert [n.data["kind"] for n in sent_to(db, south, "alert")] == ["urgent_help"]
        assert len(sent_to(db, mentor, "alert")) == 1
        assert south.get("/api/v1/alerts").get_json()[0]["kind"] == "urgent_help"

    def test_a_move_within_the_team_is_no_transfer(self, two_teams, admin, db):
        admin.patch(
            f"/api/v1/teams/{two_teams['enfield']['id']}", json={"boroughs": ["Enfield", "Barnet"]}
        )
        north, person_id = two_teams["north"], two_teams["person_id"]
        assert (
            north.patch(f"/api/v1/young-people/{person_id}", json={"borough": "Barnet"}).status_code
            == 200
        )
        history = north.get(f"/api/v1/young-people/{person_id}/status-history").get_json()
        assert [line["reason"] for line in history] == ["enrolled"]
        assert sent_to(db, north, "case_transferred") == []


class TestReportsPerTeam:
    @staticmethod
    def refer(programme, borough: str, n: int) -> None:
        referrer = programme.make.caller("referrer")
        for _ in range(n):
            programme.refer(referrer, borough=borough)

    def test_each_team_sees_its_own_figures_and_a_lead_any(self, two_teams, programme, as_role):
        self.refer(programme, "Croydon", 6)
        south, north = two_teams["south"], two_teams["north"]
        own = south.get("/api/v1/reports/outcomes").get_json()
        assert own["team_ids"] == [two_teams["croydon"]["id"]]
        assert own["referrals"]["total"] == {"value": 6, "suppressed": False}
        theirs = north.get("/api/v1/reports/outcomes").get_json()["referrals"]["total"]
        assert theirs == {"value": 0, "suppressed": False}
        other = south.get(f"/api/v1/reports/outcomes?team_id={two_teams['enfield']['id']}")
        assert other.status_code == 404
        lead = as_role("lead")
        whole = lead.get("/api/v1/reports/outcomes").get_json()
        assert whole["team_ids"] is None
        by_team = lead.get(f"/api/v1/reports/outcomes?team_id={two_teams['croydon']['id']}")
        assert by_team.status_code == 200 and by_team.get_json()["referrals"]["total"]["value"] == 6

    def test_differencing_across_teams_reveals_no_hidden_count(self, two_teams, programme, as_role):
        # Three in Enfield: hidden (the fixture's accepted referral is not counted: that young
        # person has not consented to reporting).
        self.refer(programme, "Enfield", 3)
        self.refer(programme, "Croydon", 10)
        lead = as_role("lead")
        whole = lead.get("/api/v1/reports/outcomes").get_json()["referrals"]["total"]
        south = lead.get(f"/api/v1/reports/outcomes?team_id={two_teams['croydon']['id']}")
        north = lead.get(f"/api/v1/reports/outcomes?team_id={two_teams['enfield']['id']}")
        south_total = south.get_json()["referrals"]["total"]
        north_total = north.get_json()["referrals"]["total"]
        assert north_total == {"value": None, "suppressed": True}
        assert whole == {"value": 13, "suppressed": False}
        # Were Croydon's 10 shown, 13 - 10 would give Enfield's 3 away.
        assert south_total == {"value": None, "suppressed": True}
        # The team's own coordinator sees the same as the lead does of it.
        own = two_teams["south"].get("/api/v1/reports/outcomes").get_json()["referrals"]["total"]
        assert own == south_total
