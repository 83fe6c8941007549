"""Signing in and out: sessions (token families), refresh-token rotation, and who is calling."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVarTuple

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.orm import Session

from youthapp import audit, db
from youthapp.errors import Forbidden, NotFound, Unauthenticated
from youthapp.models import AuthSession, RefreshToken, User, YoungPerson
from youthapp.services import throttle
from youthapp.services.passwords import PasswordHashing
from youthapp.vocabulary import normalise_email

LOGIN = "login"
WRONG_CREDENTIALS = "The email or password is not right."
LOCKED_DOWN = (
    "This account is locked to keep you safe. Ask your coordinator for a new activation "
    "code to set a new password."
)


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
    platform: str | None = None,
) -> IssuedSession:
    user = check_credentials(
        session,
        hashing,
        policy,
        email=email,
        password=password,
        client_address=client_address,
        now=now,
    )
    if user is None:
        raise Unauthenticated(WRONG_CREDENTIALS, keep_changes=True)
    if user.awaiting_approval_since is not None:
        raise Forbidden("This account is waiting for a second admin to approve it.")
    if user.locked_down_at is not None:
        raise Forbidden(LOCKED_DOWN)
    if user.young_person_id is not None:
        user.case_status = session.scalar(
            select(YoungPerson.status).where(YoungPerson.id == user.young_person_id)
        )
    audit.record(session, user, "auth.login", subject=("user", user.id), now=now)
    if hashing.needs_rehash(user.password_hash):
        user.password_hash = hashing.hash(password)
    user.last_login_at = now
    return start_session(session, user, now=now, lifetime=session_lifetime, platform=platform)


def check_credentials(
    session: Session,
    hashing: PasswordHashing,
    policy: throttle.ThrottlePolicy,
    *,
    email: str,
    password: str,
    client_address: str,
    now: datetime,
) -> User | None:
    """The active account these credentials open, or None (the failure counted towards the
    lockout and audited); TooManyAttempts while locked out. Every way in uses it: signing
    in, and reporting a lost phone."""
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
        return None
    throttle.clear_account(session, LOGIN, key)
    return user


def start_session(
    session: Session,
    user: User,
    *,
    now: datetime,
    lifetime: timedelta,
    platform: str | None = None,
) -> IssuedSession:
    auth_session = AuthSession(
        user_id=user.id,
        created_at=now,
        expires_at=now + lifetime,
        last_used_at=now,
        platform=platform,
    )
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
    auth_session.expires_at, auth_session.last_used_at = now + lifetime, now
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


@dataclass(frozen=True)
class SignIn:
    id: uuid.UUID
    created_at: datetime
    last_used_at: datetime | None
    platform: str | None
    current: bool


def my_sign_ins(
    session: Session, user: User, current_id: uuid.UUID | str, *, now: datetime
) -> list[SignIn]:
    """The user's live sign-ins, most recently used first."""
    current = _parse_id(current_id)
    return [
        SignIn(row.id, row.created_at, row.last_used_at, row.platform, row.id == current)
        for row in session.scalars(
            _live_sessions_of(user.id, now).order_by(
                AuthSession.last_used_at.desc(), AuthSession.id
            )
        )
    ]


def end_my_sign_in(session: Session, user: User, sign_in_id: uuid.UUID, *, now: datetime) -> None:
    """End one of the user's own sign-ins (another phone, or this one)."""
    found = session.scalar(_live_sessions_of(user.id, now).where(AuthSession.id == sign_in_id))
    if found is None:
        raise NotFound("No such sign-in.")
    end_session(session, found.id, now=now, reason="ended_by_user")
    audit.record(session, user, "auth.session_ended", subject=("auth_session", found.id), now=now)


def end_other_sign_ins(
    session: Session, user: User, current_id: uuid.UUID | str, *, now: datetime
) -> int:
    """End every sign-in of the user but this one; how many ended."""
    ended = db.rowcount(
        session,
        update(AuthSession)
        .where(
            AuthSession.user_id == user.id,
            AuthSession.revoked_at.is_(None),
            AuthSession.id != _parse_id(current_id),
        )
        .values(revoked_at=now, revoked_reason="ended_by_user"),
    )
    audit.record(
        session,
        user,
        "auth.other_sessions_ended",
        subject=("user", user.id),
        details={"count": ended},
        now=now,
    )
    return ended


def sign_ins_summary(
    session: Session, user_id: uuid.UUID, *, now: datetime
) -> tuple[int, datetime | None]:
    """How many live sign-ins an account has, and when one was last used (for staff)."""
    count, last = session.execute(
        select(func.count(AuthSession.id), func.max(AuthSession.last_used_at)).where(
            AuthSession.user_id == user_id,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
        )
    ).one()
    return int(count), last


def _live_sessions_of(user_id: uuid.UUID, now: datetime) -> Select[AuthSession]:
    return select(AuthSession).where(
        AuthSession.user_id == user_id,
        AuthSession.revoked_at.is_(None),
        AuthSession.expires_at > now,
    )


def authenticate(session: Session, *, user_id: str, session_id: str, now: datetime) -> User:
    """The caller of a request, read afresh so that deactivation and logout bite at once."""
    row = session.execute(
        _CALLER, {"session_id": _parse_id(session_id), "now": now}
    ).one_or_none()
    if row is None:
        raise Unauthenticated("This sign-in has ended. Sign in again.")
    user, case_status = row
    user.case_status = case_status
    if user.id != _parse_id(user_id):
        raise Unauthenticated("The access token is not valid.")
    return user


_Row = TypeVarTuple("_Row")


def _live(statement: Select[*_Row]) -> Select[*_Row]:
    """`statement` narrowed to a sign-in that has not ended, of an account that may sign in."""
    return (
        statement.join(AuthSession, AuthSession.user_id == User.id)
        .outerjoin(YoungPerson, YoungPerson.id == User.young_person_id)
        .where(
            AuthSession.id == bindparam("session_id"),
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > bindparam("now"),
            User.is_active.is_(True),
            User.awaiting_approval_since.is_(None),
            User.locked_down_at.is_(None),
        )
    )


# Run on every request (the caller) or every refresh (the sign-in too): built once.
_CALLER = _live(select(User, YoungPerson.status))
_LIVE_SESSION = _live(select(User, AuthSession, YoungPerson.status))


def _live_session(
    session: Session, session_id: uuid.UUID, now: datetime
) -> tuple[User, AuthSession]:
    row = session.execute(_LIVE_SESSION, {"session_id": session_id, "now": now}).one_or_none()
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
