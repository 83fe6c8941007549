"""Idempotency-Key on creating POSTs, for every route at once (youthapp/services/idempotency.py
says what a key promises).

- A route takes a key when it says so (`@blp.idempotent`). The key is claimed once the
  caller is signed in and may use the route (the gate in api/extensions.py calls
  `claim_or_replay`), so a replay passes the same checks as a first
  request: a signed-out token, a deactivated account, or a caller who may no longer see
  whom the answer is about gets what a first request would.
- The claim is committed at once, before the handler runs, so a concurrent retry sees it.
- The handler's commit only flushes (api/database.commit); the answer is stored and
  committed with the handler's work here, after the answer is made. If the database is
  lost then, the answer is 503 and nothing was stored: the retry runs afresh.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from flask import Flask, Response, current_app, g, request
from sqlalchemy.exc import SQLAlchemyError

from api.database import db_session
from api.errors import database_unavailable
from youthapp.clock import utcnow
from youthapp.models import User
from youthapp.services import idempotency, plans

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
KEPT_HEADERS = ("Content-Type", "ETag", "Location")
# Answers a retry should not be stuck with: it may well succeed next time.
NOT_KEPT = (401, 409, 429)
# Fields a stored answer never keeps: a replay says null, and the secret is issued again.
SECRET_FIELDS = ("activation_code", "url")


def claim_or_replay(user: User) -> Response | None:
    """For a keyed creating request of `user`: claim the key, or the first answer to it.
    The claim (or the take-over of one whose lease ran out) is committed at once."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    outcome = idempotency.begin(
        db_session(),
        user,
        path=request.path,
        key=key.strip(),
        fingerprint=idempotency.request_hash(request.method, request.get_data(cache=True)),
        now=utcnow(),
    )
    db_session().commit()
    if isinstance(outcome, idempotency.Replay):
        response = Response(outcome.body, status=outcome.status, headers=outcome.headers)
        response.headers["Idempotent-Replayed"] = "true"
        return response
    g.idempotency_claim = outcome
    return None


def _record(response: Response) -> Response:
    claim = g.pop("idempotency_claim", None)
    if claim is None:
        return response
    if response.status_code >= 500 or response.status_code in NOT_KEPT:
        _abandon(claim)
        return response
    session = db_session()
    try:
        body = _without_secrets(response.get_data())
        idempotency.finish(
            session,
            claim,
            status=response.status_code,
            body=body,
            headers={n: response.headers[n] for n in KEPT_HEADERS if n in response.headers},
            subject=_subject(session, body),
        )
        session.commit()  # the handler's work and its answer, as one
    except SQLAlchemyError:
        log.warning("could not store the answer to a keyed request", exc_info=True)
        session.rollback()
        _abandon(claim)
        return database_unavailable()
    return response


def _abandon(claim: uuid.UUID) -> None:
    """Free the key for a retry; if the database is gone, its lease frees it soon."""
    try:
        with current_app.extensions["youthapp"].session_factory.begin() as session:
            idempotency.abandon(session, claim)
    except SQLAlchemyError:
        log.warning("could not free an idempotency key; its lease will", exc_info=True)


def _without_secrets(body: bytes) -> bytes:
    answer = _json(body)
    if not isinstance(answer, dict) or not any(answer.get(n) for n in SECRET_FIELDS):
        return body
    return json.dumps({k: None if k in SECRET_FIELDS else v for k, v in answer.items()}).encode()


def _subject(session: Any, body: bytes) -> idempotency.Subject:
    """Whom the answer is about: the young person named by the path or the answer (or the
    caller, for a young person's own), and the referral."""
    answer = _json(body)
    answer = answer if isinstance(answer, dict) else {}
    args = request.view_args or {}
    person = args.get("young_person_id") or _uuid(answer.get("young_person_id"))
    if person is None and "goal_id" in args:
        person = plans.young_person_of_goal(session, args["goal_id"])
    if person is None:
        person = g.current_user.young_person_id
    referral = args.get("referral_id")
    if referral is None and request.path.rstrip("/").endswith("/referrals"):
        referral = _uuid(answer.get("id"))
    return idempotency.Subject(young_person_id=person, referral_id=referral)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def register(app: Flask) -> None:
    app.after_request(_record)
