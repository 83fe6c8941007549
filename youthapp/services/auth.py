"""Signing in and out: sessions (token families), refresh-token rotation, and who is calling."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from youthapp import audit, db
from youthapp.errors import Forbidden, Unauthenticated
from youthapp.models import AuthSession, RefreshToken, User, YoungPerson
from youthapp.services import throttle
from youthapp.services.passwords import PasswordHashing
from youthapp.vocabulary import normalise_email

LOGIN = "login"
WRONG_CREDENTIALS = "The email or password is not right."


@dataclass(frozen=True)
class IssuedSession:
    """What the API needs to mint a token pair."""

    user: User
    session_id: uuid.UUID
    refresh_jti: str


def login(
    session: Session,
    hashing: PasswordHashing,
    policy: throttle.ThrottlePolicy,
    *,
    email: str,
    password: str,
    client_address: str,
    now: datetime,
    session_lifetime: timedelta,
) -> IssuedSession:
    key = throttle.account_key(email)
    throttle.check_allowed(session, policy, LOGIN, key, client_address, now)
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    # Always verify, even for an unknown email, so that timing does not tell them apart.
    password_ok = hashing.verify(user.password_hash if user else None, password)
    if not (user and password_ok and user.is_active):
        throttle.record_failure(session, LOGIN, key, client_address, now)
        audit.record(
            session, user, "auth.login_failed", now=now, subject=("user", user.id) if user else None
        )
        raise Unauthenticated(WRONG_CREDENTIALS, keep_changes=True)
    throttle.clear_account(session, LOGIN, key)
    if user.awaiting_approval_since is not None:
        raise Forbidden("This account is waiting for a second admin to approve it.")
    if user.young_person_id is not None:
        user.case_status = session.scalar(
            select(YoungPerson.status).where(YoungPerson.id == user.young_person_id)
        )
    audit.record(session, user, "auth.login", subject=("user", user.id), now=now)
    if hashing.needs_rehash(user.password_hash):
        user.password_hash = hashing.hash(password)
    user.last_login_at = now
    return start_session(session, user, now=now, lifetime=session_lifetime)


def start_session(
    session: Session, user: User, *, now: datetime, lifetime: timedelta
) -> IssuedSession:
    auth_session = AuthSession(user_id=user.id, created_at=now, expires_at=now + lifetime)
    session.add(auth_session)
    session.flush()
    jti = _new_refresh_token(session, auth_session.id, now)
    return IssuedSession(user=user, session_id=auth_session.id, refresh_jti=jti)


def rotate_refresh_token(
    session: Session, *, jti: str, session_id: str, now: datetime, lifetime: timedelta
) -> IssuedSession:
    """Spend a refresh token and issue the next one of its family.

    A token that was already spent means someone holds a copy: the whole family is revoked,
    so that neither the thief nor the owner can go on with it.
    """
    parsed_id = _parse_id(session_id)
    spent = db.rowcount(
        session,
        update(RefreshToken)
        .where(
            RefreshToken.jti == jti,
            RefreshToken.session_id == parsed_id,
            RefreshToken.spent_at.is_(None),
        )
        .values(spent_at=now),
    )
    if spent != 1:
        known = session.get(RefreshToken, jti)
        if known is not None and known.session_id == parsed_id:
            end_session(session, parsed_id, now=now, reason="refresh_token_reused")
            audit.record(
                session,
                None,
                "auth.refresh_token_reused",
                now=now,
                subject=("auth_session", parsed_id),
            )
            raise Unauthenticated(
                "This sign-in was ended because its refresh token was used twice. Sign in again.",
                keep_changes=True,
            )
        raise Unauthenticated("The refresh token is not valid.")
    user, auth_session = _live_session(session, parsed_id, now)
    auth_session.expires_at = now + lifetime
    return IssuedSession(
        user=user, session_id=parsed_id, refresh_jti=_new_refresh_token(session, parsed_id, now)
    )


def end_session(
    session: Session, session_id: uuid.UUID | str, *, now: datetime, reason: str
) -> None:
    session.execute(
        update(AuthSession)
        .where(AuthSession.id == _parse_id(session_id), AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )


def logout(session: Session, user: User, session_id: str, *, now: datetime) -> None:
    end_session(session, session_id, now=now, reason="logout")
    audit.record(session, user, "auth.logout", subject=("auth_session", session_id), now=now)


def end_all_sessions(session: Session, user_id: uuid.UUID, *, now: datetime, reason: str) -> None:
    session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )


def authenticate(session: Session, *, user_id: str, session_id: str, now: datetime) -> User:
    """The caller of a request, read afresh so that deactivation and logout bite at once."""
    user, _ = _live_session(session, _parse_id(session_id), now)
    if user.id != _parse_id(user_id):
        raise Unauthenticated("The access token is not valid.")
    return user


def _live_session(
    session: Session, session_id: uuid.UUID, now: datetime
) -> tuple[User, AuthSession]:
    row = session.execute(
        select(User, AuthSession, YoungPerson.status)
        .join(AuthSession, AuthSession.user_id == User.id)
        .outerjoin(YoungPerson, YoungPerson.id == User.young_person_id)
        .where(
            AuthSession.id == session_id,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
            User.is_active.is_(True),
            User.awaiting_approval_since.is_(None),
        )
    ).one_or_none()
    if row is None:
        raise Unauthenticated("This sign-in has ended. Sign in again.")
    user, auth_session, case_status = row
    user.case_status = case_status
    return user, auth_session


def _parse_id(value: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Unauthenticated("The token is not valid.") from None


def _new_refresh_token(session: Session, session_id: uuid.UUID, now: datetime) -> str:
    jti = secrets.token_urlsafe(24)
    session.add(RefreshToken(jti=jti, session_id=session_id, issued_at=now))
    session.flush()
    return jti
