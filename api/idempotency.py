"""Idempotency-Key on creating POSTs, for every route at once: the first request claims
the key, its answer is kept, and a retry gets that answer again instead of a second
record. Claims are committed on their own, so a concurrent retry sees them at once."""

from __future__ import annotations

import uuid

from flask import Flask, Response, g, request
from flask_jwt_extended import get_jwt_identity, verify_jwt_in_request

from api.extensions import runtime
from api.openapi import takes_idempotency_key
from youthapp.clock import utcnow
from youthapp.services import idempotency

HEADER = "Idempotency-Key"
KEPT_HEADERS = ("Content-Type", "ETag", "Location")
# Answers a retry should not be stuck with: it may well succeed next time.
NOT_KEPT = (401, 409, 429)


def _claim() -> Response | None:
    key = request.headers.get(HEADER)
    if key is None or not takes_idempotency_key(request.method, request.path):
        return None
    verify_jwt_in_request(optional=True)
    user_id = get_jwt_identity()
    if user_id is None:
        return None  # the route itself will answer 401
    with runtime().session_factory.begin() as session:
        outcome = idempotency.begin(
            session,
            user_id=uuid.UUID(user_id),
            path=request.path,
            key=key.strip(),
            fingerprint=idempotency.request_hash(request.method, request.get_data(cache=True)),
            now=utcnow(),
        )
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
    with runtime().session_factory.begin() as session:
        if response.status_code >= 500 or response.status_code in NOT_KEPT:
            idempotency.abandon(session, claim)
        else:
            headers = {
                name: response.headers[name] for name in KEPT_HEADERS if name in response.headers
            }
            idempotency.finish(
                session,
                claim,
                status=response.status_code,
                body=response.get_data(),
                headers=headers,
            )
    return response


def register(app: Flask) -> None:
    app.before_request(_claim)
    app.after_request(_record)
