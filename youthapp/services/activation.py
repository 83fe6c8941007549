"""Activation codes: how a young person gets onto the app after enrolment.

A code is read out over the phone, so it is short and has no look-alike characters. It is
kept only as a keyed hash (found by hash, never stored in clear), works once, and expires.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from youthapp import access, audit, db
from youthapp.config import Settings
from youthapp.errors import Conflict, Gone, Unauthenticated
from youthapp.models import User, YoungPerson
from youthapp.services import auth, people, throttle
from youthapp.services.accounts import check_password
from youthapp.services.passwords import PasswordHashing
from youthapp.vocabulary import normalise_email

ACTIVATION = "activation"
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
GROUP, GROUPS = 4, 3  # "7KQM-2XPA-H9TD": about 59 bits
WRONG_CODE = "This activation code is not right. Check it, or ask your coordinator for a new one."


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(GROUP * GROUPS))
    return "-".join(raw[i : i + GROUP] for i in range(0, len(raw), GROUP))


def code_hash(code: str, settings: Settings, *, secret: str | None = None) -> str:
    normalised = re.sub(r"[\s-]", "", code).upper()
    root = (secret or settings.jwt_secret_key).encode()
    key = hmac.new(root, b"activation-codes", hashlib.sha256).digest()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


def _hashes_of(code: str, settings: Settings) -> list[str]:
    """The code's hash under the current key, and under the previous one during a rotation
    (a code issued before it still works)."""
    secrets = [settings.jwt_secret_key, settings.jwt_secret_key_previous]
    return [code_hash(code, settings, secret=secret) for secret in secrets if secret]


def issue_code(young_person: YoungPerson, *, settings: Settings, now: datetime) -> str:
    """Give the young person a fresh code; any earlier code stops working."""
    code = new_code()
    young_person.activation_code_hash = code_hash(code, settings)
    young_person.activation_code_expires_at = now + timedelta(days=settings.activation_code_days)
    return code


def reissue_code(
    session: Session, actor: User, young_person_id: uuid.UUID, *, settings: Settings, now: datetime
) -> tuple[str, datetime]:
    young_person = people.find_young_person(session, actor, young_person_id)
    access.require_role(actor, access.COORDINATOR)
    if young_person.status == "exited":
        raise Conflict("This young person has left the programme.")
    code = issue_code(young_person, settings=settings, now=now)
    session.flush()
    audit.record(
        session,
        actor,
        "activation_code.issued",
        young_person_id=young_person.id,
        subject=("young_person", young_person.id),
        now=now,
    )
    expires_at = young_person.activation_code_expires_at
    assert expires_at is not None  # issue_code set it with the code
    return code, expires_at


def activate(
    session: Session,
    hashing: PasswordHashing,
    policy: throttle.ThrottlePolicy,
    settings: Settings,
    *,
    activation_code: str,
    email: str,
    password: str,
    client_address: str,
    now: datetime,
    session_lifetime: timedelta,
    platform: str | None = None,
) -> auth.IssuedSession:
    """Turn a code into the young person's account (or new credentials for it) and sign in."""
    email = normalise_email(email)
    key = throttle.account_key(email)
    throttle.check_allowed(session, policy, ACTIVATION, key, client_address, now)
    young_person = session.scalar(
        select(YoungPerson).where(
            YoungPerson.activation_code_hash.in_(_hashes_of(activation_code, settings))
        )
    )
    if young_person is None:
        throttle.record_failure(session, ACTIVATION, key, client_address, now)
        raise Unauthenticated(WRONG_CODE, keep_changes=True)
    hashed = young_person.activation_code_hash
    # A code is always issued with its expiry (issue_code): one without is taken as expired.
    expires_at = young_person.activation_code_expires_at
    if expires_at is None or expires_at <= now or young_person.status == "exited":
        throttle.record_failure(session, ACTIVATION, key, client_address, now)
        raise Gone(
            "This activation code has expired. Ask your coordinator for a new one.",
            keep_changes=True,
        )
    check_password(password, email)
    account = session.scalar(select(User).where(User.young_person_id == young_person.id))
    holder = session.scalar(select(User.id).where(User.email == email))
    if holder is not None and (account is None or holder != account.id):
        raise Conflict("An account with this email already exists.")
    # Spend the code with a compare-and-swap, so two phones racing with it cannot both win.
    spent = db.rowcount(
        session,
        update(YoungPerson)
        .where(YoungPerson.id == young_person.id, YoungPerson.activation_code_hash == hashed)
        .values(
            activation_code_hash=None,
            activation_code_expires_at=None,
            activated_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False),
    )
    if spent != 1:
        raise Unauthenticated(WRONG_CODE)
    if account is None:
        account = User(
            email=email,
            password_hash=hashing.hash(password),
            role=access.YOUNG_PERSON,
            display_name=young_person.first_name,
            young_person_id=young_person.id,
            timezone=settings.default_timezone,
        )
        session.add(account)
        action = "account.activated"
    else:
        # A reissued code after activation is how a coordinator helps someone who lost
        # their phone or password, or whose account was locked down: new credentials, and
        # every old sign-in ends.
        account.email, account.password_hash, account.is_active = (
            email,
            hashing.hash(password),
            True,
        )
        account.locked_down_at = None
        auth.end_all_sessions(session, account.id, now=now, reason="reactivated")
        action = "account.reactivated"
    session.flush()
    throttle.clear_account(session, ACTIVATION, key)
    audit.record(
        session,
        account,
        action,
        young_person_id=young_person.id,
        subject=("user", account.id),
        now=now,
    )
    return auth.start_session(
        session, account, now=now, lifetime=session_lifetime, platform=platform
    )
