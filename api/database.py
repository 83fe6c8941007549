"""One database session per request, committed once by the handler (or, for a request with
an Idempotency-Key, with its answer) and closed at the end."""

from __future__ import annotations

import logging

from flask import current_app, g
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


def db_session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["youthapp"].session_factory()
    return g.db_session


def commit() -> None:
    """The handler's work is done: commit it. A request with an Idempotency-Key only
    flushes here; its work is committed together with the answer a retry will get
    (api/idempotency.py), so the two are stored as one or not at all."""
    if g.get("idempotency_claim") is not None:
        db_session().flush()
    else:
        db_session().commit()


def finish_session(*, commit: bool) -> None:
    """Commit or roll back whatever the request did so far; used on the error paths."""
    session = g.get("db_session")
    if session is None:
        return
    # Called while answering with an error: a failure here must not turn it into a 500.
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    except SQLAlchemyError:
        log.warning(
            "could not %s after an error", "commit" if commit else "roll back", exc_info=True
        )
        session.close()
        g.pop("db_session", None)


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
