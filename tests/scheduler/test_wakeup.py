"""Help is fast: an urgent check-in's notifications reach the push senders within two
seconds, because the dispatcher is woken by PostgreSQL NOTIFY, not by its next poll."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from scheduler import runner
from tests.factories import add_device
from youthapp.notify.outbox import CHANNEL


def test_an_urgent_check_in_is_pushed_to_staff_within_two_seconds(
    context, sender, as_role, programme, db, monkeypatch
):
    coordinator = as_role("coordinator")
    add_device(db, coordinator.user.id, platform="ios")
    _, young_person = programme.young_person(coordinator)
    if context.engine.dialect.name == "postgresql":
        # Polling so rarely that only the NOTIFY can explain a delivery within 5 seconds.
        monkeypatch.setattr(runner, "POLL_SECONDS", 30.0)
    stop = threading.Event()
    loop = threading.Thread(target=runner._deliver_until_stopped, args=(context, stop))
    loop.start()
    try:
        time.sleep(0.5)  # let it drain what is there and start waiting
        pressed = time.monotonic()
        response = young_person.post(
            "/api/v1/me/check-ins",
            json={"client_ref": "now", "mood": 1, "feeling_safe": False, "needs_help": True},
        )
        assert response.status_code == 201
        while not any(m.kind == "alert" for _, m in sender.sent):
            assert time.monotonic() - pressed < 5.0, "not handed to the push sender in 5 s"
            time.sleep(0.01)
        assert time.monotonic() - pressed < 5.0
    finally:
        stop.set()
        if context.engine.dialect.name == "postgresql":
            # Wake the loop so it sees the stop at once instead of after its long poll.
            with context.engine.begin() as connection:
                connection.exec_driver_sql("SELECT pg_notify('youthapp_outbox', '')")
        loop.join(timeout=35)
    assert not loop.is_alive()


def test_a_lost_listen_connection_comes_back_and_wakes_the_dispatcher_again(
    context, sender, as_role, programme, db, monkeypatch
):
    if context.engine.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    coordinator = as_role("coordinator")
    add_device(db, coordinator.user.id, platform="ios")
    _, young_person = programme.young_person(coordinator)
    # Polling every 8 s: only a NOTIFY can explain a delivery within 4 s (a margin for a
    # loaded machine: CI runs other suites beside this one).
    monkeypatch.setattr(runner, "POLL_SECONDS", 8.0)
    monkeypatch.setattr(runner, "RELISTEN_SECONDS", 0.5)
    stop = threading.Event()
    loop = threading.Thread(target=runner._deliver_until_stopped, args=(context, stop))
    loop.start()

    def listeners() -> list[int]:
        with context.engine.connect() as connection:
            return list(
                connection.scalars(
                    text("SELECT pid FROM pg_stat_activity WHERE query = :q"),
                    {"q": f"LISTEN {CHANNEL}"},
                )
            )

    try:
        deadline = time.monotonic() + 10
        while not listeners():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        [first] = listeners()
        with context.engine.begin() as connection:  # the database drops the connection
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        # It notices by its next wait at the latest, and listens again half a second later.
        deadline = time.monotonic() + 20
        while not [pid for pid in listeners() if pid != first]:
            assert time.monotonic() < deadline, "never listened again"
            time.sleep(0.1)
        time.sleep(0.5)
        pressed = time.monotonic()
        young_person.post(
            "/api/v1/me/check-ins",
            json={"client_ref": "again", "mood": 1, "feeling_safe": False, "needs_help": True},
        )
        while not any(m.kind == "alert" for _, m in sender.sent):
            assert time.monotonic() - pressed < 4.0, "not woken by NOTIFY after reconnecting"
            time.sleep(0.01)
    finally:
        stop.set()
        with context.engine.begin() as connection:
            connection.exec_driver_sql("SELECT pg_notify('youthapp_outbox', '')")
        loop.join(timeout=35)
    assert not loop.is_alive()
