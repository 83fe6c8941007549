"""Requests that race each other, as phones on a bad signal and attackers send them: each
must come out as if they had been one after the other (on PostgreSQL, truly at once)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from youthapp.models import AuthFailure


def at_once(app, count: int, send: Callable) -> list:
    """Run `send(client)` from `count` threads released together; their answers."""
    answers, barrier = [], threading.Barrier(count)

    def run():
        client = app.test_client()
        barrier.wait()
        answers.append(send(client))

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.fixture
def case(as_role, programme):
    coordinator, mentor = as_role("coordinator"), as_role("mentor")
    person_id, young_person = programme.young_person(coordinator)
    programme.assign(coordinator, person_id, mentor)
    return coordinator, mentor, person_id, young_person


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/api/v1/young-people/{id}/check-in-schedule",
            {"days": ["mon"], "local_time": "18:00", "grace_minutes": 30, "active": True},
        ),
        ("/api/v1/young-people/{id}/safety-plan", {"warning_signs": ["Can't sleep"]}),
    ],
)
def test_racing_first_saves_lose_with_412_not_409(app, case, path, body):
    _, mentor, person_id, _ = case
    url = path.format(id=person_id)
    headers = {**mentor.headers, "If-Match": '"0"'}
    statuses = at_once(
        app, 6, lambda client: client.put(url, json=body, headers=headers).status_code
    )
    assert sorted(statuses) == [200] + [412] * 5
    assert mentor.get(url).headers["ETag"] == '"1"'


def test_help_pressed_from_several_phones_at_once_is_one_alert_and_one_message_each(app, case, db):
    coordinator, mentor, _, young_person = case
    statuses = at_once(
        app,
        8,
        lambda client: (
            client.post(
                "/api/v1/me/check-ins",
                headers=young_person.headers,
                json={
                    "client_ref": f"press-{threading.get_ident()}",
                    "mood": 1,
                    "feeling_safe": False,
                    "needs_help": True,
                },
            ).status_code
        ),
    )
    assert statuses == [201] * 8
    [alert] = coordinator.get("/api/v1/alerts?kind=urgent_help").get_json()
    assert alert["occurrences"] == 8
    for staff in (coordinator, mentor):
        told = [n for n in staff.get("/api/v1/me/notifications").get_json() if n["kind"] == "alert"]
        assert len(told) == 1


def test_parallel_guesses_try_no_more_passwords_than_the_lockout_allows(app, make, db):
    mentor = make.staff("mentor")
    statuses = at_once(
        app,
        12,
        lambda client: (
            client.post(
                "/api/v1/auth/login", json={"email": mentor.email, "password": "not the password!"}
            ).status_code
        ),
    )
    limit = app.extensions["youthapp"].settings.login_account_max_failures
    assert sorted(statuses) == [401] * limit + [429] * (12 - limit)
    db.rollback()
    assert db.scalar(select(func.count()).select_from(AuthFailure)) == limit
