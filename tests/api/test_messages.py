"""Messages between a young person and their team, through HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from scheduler.jobs import run_sweep
from tests.conftest import Caller, Factory, Programme
from tests.factories import sent_to
from youthapp.models import Alert, Message


@pytest.fixture
def thread(as_role, programme):
    """A young person with a housing and a mental health mentor, and their coordinator."""
    coordinator = as_role("coordinator")
    housing = as_role("mentor", specialty="housing")
    wellbeing = as_role("mentor", specialty="mental_health")
    person_id, young_person = programme.young_person(coordinator)
    programme.assign(coordinator, person_id, housing)
    programme.assign(coordinator, person_id, wellbeing)
    return coordinator, housing, wellbeing, person_id, young_person


def say(young_person, body: str, ref: str):
    return young_person.post("/api/v1/me/messages", json={"client_ref": ref, "body": body})


def test_a_young_person_and_two_mentors_exchange_messages(thread, db):
    coordinator, housing, wellbeing, person_id, young_person = thread
    first = say(young_person, "Running late, sorry", "r1")
    assert first.status_code == 201
    assert first.get_json()["sender"] == {
        "role": "young_person",
        "display_name": young_person.user.display_name,
    }
    reply = housing.post(f"/api/v1/young-people/{person_id}/messages", json={"body": "No worries"})
    assert reply.status_code == 201
    assert reply.get_json()["sender"] == {
        "role": "mentor",
        "display_name": housing.user.display_name,
    }
    other = wellbeing.post(
        f"/api/v1/young-people/{person_id}/messages", json={"body": "See you at 4"}
    )
    assert other.status_code == 201
    mine = young_person.get("/api/v1/me/messages").get_json()
    assert [m["body"] for m in mine] == ["See you at 4", "No worries", "Running late, sorry"]
    staff_view = coordinator.get(f"/api/v1/young-people/{person_id}/messages").get_json()
    assert [m["id"] for m in staff_view] == [m["id"] for m in mine]
    # Each side was told, discreetly.
    assert (
        len(sent_to(db, housing, "message")) == 1 and len(sent_to(db, coordinator, "message")) == 1
    )
    pushed = sent_to(db, young_person, "message")
    assert len(pushed) == 2 and all("No worries" not in n.body for n in pushed)


def test_a_retry_with_the_same_client_ref_makes_one_message(thread, db):
    coordinator, housing, _, person_id, young_person = thread
    first = say(young_person, "Can we move it?", "same")
    again = say(young_person, "Can we move it?", "same")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert len(young_person.get("/api/v1/me/messages").get_json()) == 1
    assert len(sent_to(db, housing, "message")) == 1  # nobody told twice


def test_who_may_see_the_thread(thread, as_role, programme):
    coordinator, housing, _, person_id, young_person = thread
    say(young_person, "I got the flat", "flat")
    stranger = as_role("mentor", specialty="housing")
    assert stranger.get(f"/api/v1/young-people/{person_id}/messages").status_code == 404
    assert (
        stranger.post(f"/api/v1/young-people/{person_id}/messages", json={"body": "hi"})
    ).status_code == 404
    _, other_young_person = programme.young_person(coordinator)
    assert other_young_person.get("/api/v1/me/messages").get_json() == []
    for role in ("referrer", "admin"):
        assert as_role(role).get(f"/api/v1/young-people/{person_id}/messages").status_code == 403
    lead = as_role("lead")
    assert lead.get(f"/api/v1/young-people/{person_id}/messages").status_code == 200
    assert (
        lead.post(f"/api/v1/young-people/{person_id}/messages", json={"body": "x"})
    ).status_code == 403
    # A mentor who leaves the case no longer sees it.
    assignment = coordinator.get(f"/api/v1/young-people/{person_id}/assignments").get_json()[0]
    coordinator.delete(f"/api/v1/young-people/{person_id}/assignments/{assignment['id']}")
    assert housing.get(f"/api/v1/young-people/{person_id}/messages").status_code == 404


def test_unread_counts_on_both_sides(thread):
    coordinator, housing, wellbeing, person_id, young_person = thread
    say(young_person, "one", "1")
    say(young_person, "two", "2")
    assert housing.get("/api/v1/me").get_json()["unread_messages"] == 2
    latest = housing.get(f"/api/v1/young-people/{person_id}/messages").get_json()[0]
    read = housing.post(
        f"/api/v1/young-people/{person_id}/messages/read", json={"up_to_message_id": latest["id"]}
    )
    assert read.status_code == 204
    assert housing.get("/api/v1/me").get_json()["unread_messages"] == 0
    assert wellbeing.get("/api/v1/me").get_json()["unread_messages"] == 2  # per member of staff
    housing.post(f"/api/v1/young-people/{person_id}/messages", json={"body": "a"})
    housing.post(f"/api/v1/young-people/{person_id}/messages", json={"body": "b"})
    assert young_person.get("/api/v1/me").get_json()["unread_messages"] == 2
    older = young_person.get("/api/v1/me/messages").get_json()[1]
    young_person.post("/api/v1/me/messages/read", json={"up_to_message_id": older["id"]})
    assert young_person.get("/api/v1/me").get_json()["unread_messages"] == 1
    thread_now = housing.get(f"/api/v1/young-people/{person_id}/messages").get_json()
    assert thread_now[1]["read_by_young_person_at"] is not None
    assert thread_now[0]["read_by_young_person_at"] is None
    # A message of another thread is not one to mark.
    missing = young_person.post(
        "/api/v1/me/messages/read",
        json={"up_to_message_id": "00000000-0000-4000-8000-00000000abcd"},
    )
    assert missing.status_code == 404


def test_updated_since_gives_what_changed_and_read_markers(thread):
    _, housing, _, person_id, young_person = thread
    say(young_person, "first", "a")
    cursor = datetime.now(UTC).isoformat()
    housing.post(f"/api/v1/young-people/{person_id}/messages", json={"body": "answer"})
    changed = young_person.get("/api/v1/me/messages", query_string={"updated_since": cursor})
    assert [m["body"] for m in changed.get_json()] == ["answer"]


def test_a_message_is_kept_as_sent_and_limited(thread):
    _, _, _, person_id, young_person = thread
    body = "**not bold** <script>alert(1)</script>\n  spaced"
    sent = say(young_person, body, "raw").get_json()
    assert sent["body"] == body
    assert say(young_person, "x" * 2001, "long").status_code == 422
    assert say(young_person, "", "empty").status_code == 422


def test_out_of_hours_one_automatic_reply_per_stretch(build_app, database_url):
    # Staffed one minute a week: it is out of hours now (bar that minute).
    now = datetime.now(UTC)
    if now.weekday() == 0 and now.hour == 0 and now.minute <= 1:
        pytest.skip("the one staffed minute of the week")
    app = build_app(
        database_url=database_url, staffed_hours="mon 00:00-00:01", duty_line_phone="0800 123 4567"
    )
    programme = Programme(Factory(app, app.test_client()))
    coordinator = programme.make.caller("coordinator")
    _, young_person = programme.young_person(coordinator)
    say(young_person, "anyone there?", "n1")
    say(young_person, "hello?", "n2")
    mine = young_person.get("/api/v1/me/messages").get_json()
    automatic = [m for m in mine if m["sender"]["role"] == "programme"]
    assert len(automatic) == 1 and len(mine) == 3
    assert "0800 123 4567" in automatic[0]["body"]
    assert "999" in automatic[0]["body"] or "Childline" in automatic[0]["body"]


def test_an_unanswered_message_raises_one_alert_that_a_reply_resolves(thread, context, db):
    coordinator, housing, _, person_id, young_person = thread
    sent = say(young_person, "Are you there?", "q").get_json()
    sent_at = datetime.fromisoformat(sent["sent_at"].replace("Z", "+00:00"))
    assert run_sweep(context, "unanswered_messages", sent_at + timedelta(hours=23)) == 0
    assert run_sweep(context, "unanswered_messages", sent_at + timedelta(hours=25)) == 1
    assert run_sweep(context, "unanswered_messages", sent_at + timedelta(hours=26)) == 0
    alert = coordinator.get("/api/v1/alerts?kind=message_unanswered").get_json()
    assert len(alert) == 1 and alert[0]["urgent"] is False
    # The coordinators are told; the mentors see it in their list but were not pushed.
    told = [n.data.get("kind") for n in sent_to(db, coordinator, "alert")]
    assert told == ["message_unanswered"]
    assert [n.data.get("kind") for n in sent_to(db, housing, "alert")] == []
    housing.post(f"/api/v1/young-people/{person_id}/messages", json={"body": "Sorry, here now"})
    db.rollback()
    closed = db.scalar(select(Alert).where(Alert.kind == "message_unanswered"))
    assert closed.status == "resolved" and closed.resolution == "answered"
    assert run_sweep(context, "unanswered_messages", sent_at + timedelta(hours=48)) == 0


def test_an_exited_young_person_cannot_send_but_can_still_call_for_help(thread, make):
    coordinator, _, _, person_id, young_person = thread
    coordinator.patch(f"/api/v1/young-people/{person_id}", json={"status": "exited"})
    young_person = Caller(make.client, young_person.user, make.login(young_person.user.email))
    assert say(young_person, "hello", "x").status_code == 403
    help_now = young_person.post(
        "/api/v1/me/check-ins",
        json={"client_ref": "h", "mood": 1, "feeling_safe": False, "needs_help": True},
    )
    assert help_now.status_code == 201


def test_the_thread_is_in_the_export_and_erased_with_the_record(thread, db):
    coordinator, housing, _, person_id, young_person = thread
    say(young_person, "for the record", "e")
    housing.post(f"/api/v1/young-people/{person_id}/messages", json={"body": "noted"})
    export = young_person.get("/api/v1/me/export").get_json()
    assert [m["body"] for m in export["messages"]] == ["for the record", "noted"]
    erased = coordinator.post(
        f"/api/v1/young-people/{person_id}/erasure", json={"reason": "Asked to be forgotten"}
    )
    assert erased.status_code == 200
    db.rollback()
    assert db.scalars(select(Message)).all() == []


def test_staff_reads_of_the_thread_are_audited(thread, db):
    from youthapp.models import AuditEvent

    coordinator, _, _, person_id, _ = thread
    coordinator.get(f"/api/v1/young-people/{person_id}/messages")
    db.rollback()
    actions = db.scalars(
        select(AuditEvent.action).where(AuditEvent.actor_id == coordinator.user.id)
    ).all()
    assert "messages.viewed" in actions


def test_a_long_thread_is_read_in_a_bounded_number_of_queries(thread, count_queries, db):
    _, housing, _, person_id, young_person = thread
    for n in range(3):
        say(young_person, f"m{n}", f"c{n}")
    with count_queries() as few:
        assert len(young_person.get("/api/v1/me/messages").get_json()) == 3
    for n in range(3, 40):
        say(young_person, f"m{n}", f"c{n}")
    with count_queries() as many:
        assert len(young_person.get("/api/v1/me/messages?page_size=100").get_json()) == 40
    assert many.count == few.count
    with count_queries() as staff_few:
        housing.get(f"/api/v1/young-people/{person_id}/messages?page_size=100")
    assert staff_few.count <= few.count + 4
