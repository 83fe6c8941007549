"""One database session per request, committed once: by the handler for a change (with its
answer, for a request with an Idempotency-Key), at the end of the request for a read.

A route marked read-only (`Blueprint.read_only`) gets a session that can only read: on
PostgreSQL in autocommit, so it costs its SELECTs and no BEGIN or ROLLBACK round trip.

Pooled connections are not pinged before use (one round trip on every request). A request
whose connection is lost (the server restarted, its backend was terminated) before it has
tried to commit anything is run again once, on a fresh connection: its transaction died
with the connection, so nothing of it was saved and running it again cannot do anything
twice. Once a commit has been tried (it may have been saved, however it ended) a lost
connection is the 503 of api/errors.py, and the phone's retry (client_ref, Idempotency-Key)
settles it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, g, has_request_context, request
from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


def db_session() -> Session:
    if "db_session" not in g:
        runtime = current_app.extensions["youthapp"]
        factory = runtime.read_only_factory if g.get("read_only") else runtime.session_factory
        g.db_session = factory()
    return g.db_session


def track_commits(engine: Engine) -> None:
    """Note in each request whether it has tried to commit."""
    event.listen(engine, "commit", _commit_tried)


def _commit_tried(*_args: Any) -> None:
    if has_request_context():
        g.db_commit_tried = True


def retrying_a_lost_connection(dispatch: Callable[[], Any]) -> Any:
    """Run the request's view; once more if it lost its connection before any commit."""
    try:
        return dispatch()
    except DBAPIError as error:
        if not error.connection_invalidated or g.get("db_commit_tried"):
            raise
        log.warning(
            "connection lost before anything was committed; running request %s again",
            g.get("request_id"),
        )
        close_session()
        return dispatch()


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
