"""Throttling of guessable secrets (passwords, activation codes) per account and per address."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from youthapp import db
from youthapp.errors import TooManyAttempts
from youthapp.models import AuthFailure
from youthapp.vocabulary import normalise_email


@dataclass(frozen=True)
class ThrottlePolicy:
    account_max_failures: int
    account_window: timedelta
    address_max_failures: int
    address_window: timedelta


def account_key(value: str) -> str:
    return hashlib.sha256(normalise_email(value).encode("utf-8")).hexdigest()


def check_allowed(
    session: Session, policy: ThrottlePolicy, purpose: str, key: str, address: str, now: datetime
) -> None:
    """Refuse (even a right password) while the account or the address is locked out.

    The account is held for the rest of the transaction first, so that attempts on one
    account take turns: each one counts the failures of those before it, and parallel
    guesses cannot all pass the check before any is recorded. (SQLite's writers take
    turns anyway.) The address count is not held, so as not to queue every sign-in behind
    a shared carrier address: it can run over by the few requests in flight at once."""
    _hold(session, purpose, key)
    account_failures = session.scalars(
        select(AuthFailure.occurred_at)
        .where(
            AuthFailure.purpose == purpose,
            AuthFailure.account_key == key,
            AuthFailure.occurred_at > now - policy.account_window,
        )
        .order_by(AuthFailure.occurred_at.desc())
        .limit(policy.account_max_failures)
    ).all()
    if policy.account_max_failures and len(account_failures) >= policy.account_max_failures:
        # Locked until the oldest of the last N failures leaves the window.
        unlocks_at = account_failures[-1] + policy.account_window
        raise TooManyAttempts(
            "Too many failed attempts for this account. Try again later.",
            retry_after=_seconds_until(unlocks_at, now),
        )
    if not policy.address_max_failures:
        return
    address_failures = session.execute(
        select(func.count())
        .select_from(AuthFailure)
        .where(
            AuthFailure.purpose == purpose,
            AuthFailure.client_address == address,
            AuthFailure.occurred_at > now - policy.address_window,
        )
    ).scalar_one()
    if address_failures >= policy.address_max_failures:
        oldest = session.scalar(
            select(func.min(AuthFailure.occurred_at)).where(
                AuthFailure.purpose == purpose,
                AuthFailure.client_address == address,
                AuthFailure.occurred_at > now - policy.address_window,
            )
        )
        if oldest is None:  # purged since they were counted: nothing left to wait for
            return
        raise TooManyAttempts(
            "Too many failed attempts from this network. Try again later.",
            retry_after=_seconds_until(oldest + policy.address_window, now),
        )


def _hold(session: Session, purpose: str, key: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        digest = hashlib.sha256(f"{purpose}:{key}".encode()).digest()
        lock = int.from_bytes(digest[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": lock})


def record_failure(session: Session, purpose: str, key: str, address: str, now: datetime) -> None:
    session.add(
        AuthFailure(purpose=purpose, account_key=key, client_address=address, occurred_at=now)
    )
    session.flush()


def clear_account(session: Session, purpose: str, key: str) -> None:
    """A success forgives the account's earlier failures (the address count stays)."""
    session.execute(
        update(AuthFailure)
        .where(AuthFailure.purpose == purpose, AuthFailure.account_key == key)
        .values(account_key=None)
    )


def _seconds_until(moment: datetime, now: datetime) -> int:
    return int((moment - now).total_seconds()) + 1


def purge_older_than(session: Session, cutoff: datetime) -> int:
    return db.rowcount(session, delete(AuthFailure).where(AuthFailure.occurred_at < cutoff))
