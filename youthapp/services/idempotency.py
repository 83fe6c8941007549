"""Idempotency keys for creating requests: the same key and body replay the first answer,
the same key with another body is refused, and a retry while the first is still running
is told so. Keys belong to one user and one path, and are kept for a day.

- A claim is leased, not held for ever: if the request that made it died (its worker, or
  the database under it), the key is free again when the lease runs out.
- The answer is stored in the same transaction as the request's own writes (the boundary
  commits them together), so a retry either replays an answer whose work is done, or finds
  nothing done and runs afresh: never half, never twice.
- A stored answer holds no secret (no activation code, no calendar key) and says whom it
  is about, so a replay is shown only to a caller who may still see that young person or
  referral, and erasing them removes it.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from youthapp import access, db
from youthapp.errors import Conflict, InvalidInput, NotFound
from youthapp.models import IdempotencyKey, Referral, User, YoungPerson

KEEP_FOR = timedelta(hours=24)
# Longer than any request may run (the server gives up on one long before).
LEASE = timedelta(minutes=1)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Replay:
    status: int
    body: bytes
    headers: dict[str, Any]


@dataclass(frozen=True)
class Subject:
    """Whom a stored answer is about."""

    young_person_id: uuid.UUID | None = None
    referral_id: uuid.UUID | None = None


def request_hash(method: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b"\n" + body).hexdigest()


def begin(
    session: Session,
    actor: User,
    *,
    path: str,
    key: str,
    fingerprint: str,
    now: datetime,
) -> uuid.UUID | Replay:
    """Claim the key for this request (returns the claim's id), or answer from the first
    request with it. `actor` is signed in and may use the route: a replay is checked
    against their scope as the first request was."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            "The Idempotency-Key header must be 1 to 255 characters.",
            errors={"Idempotency-Key": ["Invalid length."]},
        )
    scope = (
        IdempotencyKey.user_id == actor.id,
        IdempotencyKey.path == path,
        IdempotencyKey.key == key,
    )
    session.execute(delete(IdempotencyKey).where(*scope, IdempotencyKey.expires_at <= now))
    claim = IdempotencyKey(
        user_id=actor.id,
        path=path,
        key=key,
        request_hash=fingerprint,
        created_at=now,
        expires_at=now + KEEP_FOR,
        locked_until=now + LEASE,
    )
    try:
        with session.begin_nested():
            session.add(claim)
            session.flush()
        return claim.id
    except IntegrityError:
        pass
    first = session.scalar(select(IdempotencyKey).where(*scope))
    if first is None:  # it expired and was purged between the two statements
        raise Conflict("The first request with this Idempotency-Key is still running.")
    if first.request_hash != fingerprint:
        raise InvalidInput(
            "This Idempotency-Key was used with a different request.",
            errors={"Idempotency-Key": ["Already used with another body."]},
        )
    if first.response_status is not None:
        _check_still_in_scope(session, actor, first)
        return Replay(
            first.response_status, first.response_body or b"", first.response_headers or {}
        )
    # Still running, or died: take it over only once its lease has run out.
    taken = db.rowcount(
        session,
        update(IdempotencyKey)
        .where(
            IdempotencyKey.id == first.id,
            IdempotencyKey.response_status.is_(None),
            or_(IdempotencyKey.locked_until.is_(None), IdempotencyKey.locked_until <= now),
        )
        .values(locked_until=now + LEASE)
        .execution_options(synchronize_session=False),
    )
    if taken != 1:
        raise Conflict("The first request with this Idempotency-Key is still running.")
    return first.id


def _check_still_in_scope(session: Session, actor: User, stored: IdempotencyKey) -> None:
    """A replay answers only a caller who may still see whom it is about (an unassigned
    mentor, a closed referral's referrer...): otherwise, as for a first request, 404."""
    if stored.young_person_id is not None:
        if actor.role == access.YOUNG_PERSON:
            visible = actor.young_person_id == stored.young_person_id
        else:
            visible = (
                session.scalar(
                    access.young_people_visible_to(actor)
                    .with_only_columns(YoungPerson.id)
                    .where(YoungPerson.id == stored.young_person_id)
                )
                is not None
            )
        if not visible:
            raise NotFound("Not found.")
    if stored.referral_id is not None:
        visible = session.scalar(
            access.referrals_visible_to(actor)
            .with_only_columns(Referral.id)
            .where(Referral.id == stored.referral_id)
        )
        if visible is None:
            raise NotFound("Not found.")


def finish(
    session: Session,
    claim_id: uuid.UUID,
    *,
    status: int,
    body: bytes,
    headers: dict[str, Any],
    subject: Subject,
) -> None:
    """Store the answer, in the transaction of the request's own work."""
    session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == claim_id)
        .values(
            response_status=status,
            response_body=body,
            response_headers=headers,
            locked_until=None,
            young_person_id=subject.young_person_id,
            referral_id=subject.referral_id,
        )
        .execution_options(synchronize_session=False)
    )


def abandon(session: Session, claim_id: uuid.UUID) -> None:
    """The first request failed on our side: let a retry run it again."""
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == claim_id))


def forget_about(
    session: Session, *, young_person_id: uuid.UUID, referral_ids: list[uuid.UUID]
) -> None:
    """Erasure: no stored answer about the young person (or their referrals) stays."""
    session.execute(
        delete(IdempotencyKey).where(
            or_(
                IdempotencyKey.young_person_id == young_person_id,
                IdempotencyKey.referral_id.in_(referral_ids),
            )
        )
    )


def purge_expired(session: Session, *, now: datetime) -> int:
    return db.rowcount(session, delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now))
