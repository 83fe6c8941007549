"""Versioned edits: the one rule for If-Match against a record's version, for every record
staff edit (goals, steps, appointments, schedules, safety plans)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from youthapp.errors import PreconditionFailed


def check_version(if_match: Collection[str], version: int) -> None:
    """`if_match` holds the ETag values the client sent (without quotes); "*" matches any."""
    if "*" not in if_match and str(version) not in if_match:
        raise PreconditionFailed()


def add_first_version(session: Session, record: Any) -> None:
    """Store the first version of a one-per-young-person document (a schedule, a safety
    plan). Two first saves racing with If-Match "0": the one that loses the race saved a
    stale version, so it is 412 like any other, not a conflict of keys."""
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        raise PreconditionFailed() from None
