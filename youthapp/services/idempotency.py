"""Idempotency keys for creating requests: the same key and body replay the first answer,
the same key with another body is refused, and a retry while the first is still running
is told so. Keys belong to one user and one path, and are kept for a day."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from youthapp.errors import Conflict, InvalidInput
from youthapp.models import IdempotencyKey

KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Replay:
    status: int
    body: bytes
    headers: dict[str, Any]


def request_hash(method: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b"\n" + body).hexdigest()


def begin(
    session: Session, *, user_id: uuid.UUID, path: str, key: str, fingerprint: str, now: datetime
) -> uuid.UUID | Replay:
    """Claim the key for this request (returns its id), or answer from the first one."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            "The Idempotency-Key header must be 1 to 255 characters.",
            errors={"Idempotency-Key": ["Invalid length."]},
        )
    session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id,
            IdempotencyKey.path == path,
            IdempotencyKey.key == key,
            IdempotencyKey.expires_at <= now,
        )
    )
    claim = IdempotencyKey(
        user_id=user_id,
        path=path,
        key=key,
        request_hash=fingerprint,
        created_at=now,
        expires_at=now + KEEP_FOR,
    )
    try:
        with session.begin_nested():
            session.add(claim)
            session.flush()
        return claim.id
    except IntegrityError:
        pass
    first = session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id,
            IdempotencyKey.path == path,
            IdempotencyKey.key == key,
        )
    )
    if first.request_hash != fingerprint:
        raise InvalidInput(
            "This Idempotency-Key was used with a different request.",
            errors={"Idempotency-Key": ["Already used with another body."]},
        )
    if first.response_status is None:
        raise Conflict("The first request with this Idempotency-Key is still running.")
    return Replay(first.response_status, first.response_body or b"", first.response_headers or {})


def finish(
    session: Session, claim_id: uuid.UUID, *, status: int, body: bytes, headers: dict[str, Any]
) -> None:
    session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == claim_id)
        .values(response_status=status, response_body=body, response_headers=headers)
    )


def abandon(session: Session, claim_id: uuid.UUID) -> None:
    """The first request failed on our side: let a retry run it again."""
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == claim_id))


def purge_expired(session: Session, *, now: datetime) -> int:
    return session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now)).rowcount
