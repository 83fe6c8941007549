"""Fixtures for the scheduler's tests: its context on the tests' database, and a clock."""

from __future__ import annotations

import pytest

from scheduler.jobs import SchedulerContext
from youthapp.notify.senders import RecordingSender


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def context(app, sender) -> SchedulerContext:
    runtime = app.extensions["youthapp"]
    return SchedulerContext(
        settings=runtime.settings,
        engine=runtime.engine,
        session_factory=runtime.session_factory,
        senders=[sender],
    )
