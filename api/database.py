"""One database session per request, committed once: by the handler for a change (with its
answer, for a request with an Idempotency-Key), at the end of the request for a read."""

from __future__ import annotations

import logging

from flask import Response, current_app, g, request
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


def commit_reads(response: Response) -> Response:
    """A read that succeeded commits here, at the end of the request, what it recorded
    (the audit rows of a staff read, a calendar key made on first use): no route has to
    remember to. If that cannot be saved, the record is not shown: an unaudited staff read
    must not happen."""
    session = g.get("db_session")
    if (
        request.method not in ("GET", "HEAD")
        or response.status_code >= 400
        or session is None
        or not session.in_transaction()
    ):
        return response
    try:
        session.commit()
    except SQLAlchemyError:
        log.warning("could not save what a read recorded", exc_info=True)
        session.rollback()
        from api.errors import database_unavailable

        return database_unavailable()
    return response
