"""Accounts: creating and changing staff users, and every user's own preferences."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from youthapp import access, audit, windows
from youthapp.clock import DEFAULT_ZONE, utcnow
from youthapp.errors import Conflict, Forbidden, InvalidInput, NotFound
from youthapp.models import MENTOR_SPECIALTIES, REFERRER_TYPES, STAFF_ROLES, User
from youthapp.services import auth, notifications, teams, throttle
from youthapp.services.passwords import PasswordHashing, password_problems
from youthapp.vocabulary import normalise_email

# The stored lengths (see models/users.py); the API checks them too, but the command line
# and other callers come through here only.
EMAIL_MAX_LENGTH = 254
DISPLAY_NAME_MAX_LENGTH = 100
ORGANISATION_MAX_LENGTH = 200
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _check_account_text(
    email: str | None, display_name: str | None, organisation: str | None
) -> None:
    """Text every door must respect: what the API's schemas check, for callers without them."""
    errors: dict[str, list[str]] = {}
    if email is not None and (len(email) > EMAIL_MAX_LENGTH or not _EMAIL.fullmatch(email)):
        errors["email"] = ["Not a valid email address."]
    if display_name is not None and not 1 <= len(display_name) <= DISPLAY_NAME_MAX_LENGTH:
        errors["display_name"] = [
            f"Use 1 to {DISPLAY_NAME_MAX_LENGTH} characters, not only spaces."
        ]
    if organisation is not None and len(organisation) > ORGANISATION_MAX_LENGTH:
        errors["organisation"] = [f"Use at most {ORGANISATION_MAX_LENGTH} characters."]
    if errors:
        raise InvalidInput("The account details are not valid.", errors=errors)


def check_password(password: str, email: str | None, field: str = "password") -> None:
    problems = password_problems(password, email=email)
    if problems:
        raise InvalidInput("The password is not strong enough.", errors={field: problems})


def create_staff_user(
    session: Session,
    hashing: PasswordHashing,
    actor: User | None,
    data: Mapping[str, Any],
    *,
    default_timezone: str = DEFAULT_ZONE,
    two_person: bool = False,
    now: datetime | None = None,
) -> User:
    """Create a staff account; `actor` is None only for the operator's command line. An
    admin who makes an account that reads case content is told on (case_access_given)."""
    if actor is not None:
        access.require_role(actor, access.ADMIN)
    role = data["role"]
    if role not in STAFF_ROLES:
        raise InvalidInput(
            "Staff accounts are mentors, coordinators, referrers or admins.",
            errors={"role": [f"Must be one of: {', '.join(STAFF_ROLES)}."]},
        )
    email = normalise_email(data["email"])
    display_name = data["display_name"].strip()
    organisation = _clean_organisation(data.get("organisation"))
    _check_account_text(email, display_name, organisation)
    check_password(data["password"], email)
    _check_role_details(role, data.get("specialty"), data.get("referrer_type"), organisation)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("An account with this email already exists.")
    user = User(
        email=email,
        password_hash=hashing.hash(data["password"]),
        role=role,
        display_name=display_name,
        specialty=data.get("specialty"),
        referrer_type=data.get("referrer_type"),
        organisation=organisation,
        timezone=default_timezone,
    )
    session.add(user)
    session.flush()
    teams.join(session, user, data.get("team_ids"), now=now or utcnow())
    audit.record(session, actor, "user.created", subject=("user", user.id), details={"role": role})
    if actor is not None and access.gives_case_access(role, created=True):
        _case_access_given(
            session, actor, user, "created", two_person=two_person, now=now or utcnow()
        )
    return user


def _case_access_given(
    session: Session, admin: User, user: User, act: str, *, two_person: bool, now: datetime
) -> None:
    """An admin made an account that reads case content, or reset its password: the act
    is recorded loudly, every other admin and the account's holder are told, and under the
    two-person rule the account waits for a second admin's approval."""
    audit.record(
        session,
        admin,
        "admin.case_access_given",
        subject=("user", user.id),
        details={"role": user.role, "fields": ["account" if act == "created" else "password"]},
        now=now,
    )
    what = (
        f"created a {user.role} account" if act == "created" else f"reset a {user.role}'s password"
    )
    for other in session.scalars(access.told_of_case_access(admin)):
        notifications.notify(
            session,
            other,
            "account_change",
            now=now,
            subject_id=user.id,
            data={"user_id": str(user.id)},
            template="case_access_given",
            what=what,
        )
    notifications.notify(
        session,
        user,
        "account_change",
        now=now,
        subject_id=user.id,
        data={"user_id": str(user.id)},
        template="account_created_by_admin" if act == "created" else "password_reset_by_admin",
    )
    if two_person:
        user.awaiting_approval_since, user.approval_requested_by_id = now, admin.id
        user.approved_by_id = None
        session.flush()


def approve_staff_user(session: Session, actor: User, user_id: uuid.UUID, *, now: datetime) -> User:
    """A second admin lets an account that is waiting be used."""
    user = get_staff_user(session, actor, user_id)
    if user.awaiting_approval_since is None:
        raise Conflict("This account is not waiting for approval.")
    if user.approval_requested_by_id == actor.id:
        raise Forbidden("Another admin must approve what you did.")
    user.awaiting_approval_since, user.approved_by_id = None, actor.id
    session.flush()
    audit.record(session, actor, "user.approved", subject=("user", user.id), now=now)
    return user


def get_staff_user(session: Session, actor: User, user_id: uuid.UUID) -> User:
    user = session.scalar(access.staff_accounts_visible_to(actor).where(User.id == user_id))
    if user is None:
        raise NotFound("No such user.")
    return user


def list_staff_users(
    actor: User, *, role: str | None = None, is_active: bool | None = None
) -> Select[User]:
    query = access.staff_accounts_visible_to(actor)
    if role:
        query = query.where(User.role == role)
    if is_active is not None:
        query = query.where(User.is_active.is_(is_active))
    return query.order_by(User.display_name, User.id)


def update_staff_user(
    session: Session,
    hashing: PasswordHashing,
    actor: User,
    user_id: uuid.UUID,
    changes: Mapping[str, Any],
    now: datetime,
    *,
    two_person: bool = False,
) -> User:
    user = get_staff_user(session, actor, user_id)
    display_name = changes["display_name"].strip() if "display_name" in changes else None
    organisation = _clean_organisation(changes.get("organisation"))
    _check_account_text(None, display_name, organisation)
    if display_name is not None:
        user.display_name = display_name
    for name in ("specialty", "referrer_type"):
        if name in changes:
            setattr(user, name, changes[name])
    if "organisation" in changes:
        user.organisation = organisation
    _check_role_details(user.role, user.specialty, user.referrer_type, user.organisation)
    if "password" in changes:
        check_password(changes["password"], user.email)
        user.password_hash = hashing.hash(changes["password"])
        auth.end_all_sessions(session, user.id, now=now, reason="password_reset")
        # A reset is how a locked-out user gets back in; the lockout guarded the old password.
        throttle.clear_account(session, auth.LOGIN, throttle.account_key(user.email))
        if access.gives_case_access(user.role, created=False):
            _case_access_given(session, actor, user, "reset", two_person=two_person, now=now)
    if changes.get("is_active") is False and user.is_active:
        if user.role == access.ADMIN and _active_admin_count(session) <= 1:
            raise Conflict("This is the last active admin; make another admin first.")
        user.is_active = False
        auth.end_all_sessions(session, user.id, now=now, reason="deactivated")
    elif changes.get("is_active") is True:
        user.is_active = True
    session.flush()
    audit.record(
        session,
        actor,
        "user.updated",
        subject=("user", user.id),
        now=now,
        details={"fields": sorted(changes)},
    )  # names only: never a password
    return user


def update_preferences(session: Session, user: User, changes: Mapping[str, Any]) -> User:
    """Change only the preferences given; the rest keep their values."""
    for name in ("discreet_mode", "location_sharing", "language", "timezone"):
        if name in changes:
            setattr(user, name, changes[name])
    if "quiet_hours" in changes:
        # Quiet hours are one contact window a day, from their end to their start.
        quiet = changes["quiet_hours"]
        user.contact_windows = (
            windows.from_quiet_hours(quiet["start"], quiet["end"]) if quiet else None
        )
    session.flush()
    return user


def _clean_organisation(organisation: str | None) -> str | None:
    return (organisation or "").strip() or None


def _check_role_details(
    role: str, specialty: str | None, referrer_type: str | None, organisation: str | None
) -> None:
    errors: dict[str, list[str]] = {}
    if role == access.MENTOR:
        if specialty not in MENTOR_SPECIALTIES:
            errors["specialty"] = [f"A mentor needs one of: {', '.join(MENTOR_SPECIALTIES)}."]
    elif specialty is not None:
        errors["specialty"] = ["Only mentors have a specialty."]
    if role == access.REFERRER:
        if referrer_type not in REFERRER_TYPES:
            errors["referrer_type"] = [f"A referrer needs one of: {', '.join(REFERRER_TYPES)}."]
        if not organisation:
            errors["organisation"] = ["A referrer needs an organisation."]
    else:
        if referrer_type is not None:
            errors["referrer_type"] = ["Only referrers have a referrer type."]
        if organisation is not None:
            errors["organisation"] = ["Only referrers have an organisation."]
    if errors:
        raise InvalidInput("The account details do not fit its role.", errors=errors)


def _active_admin_count(session: Session) -> int:
    """Active admins, counted under a row lock.

    Two admins deactivating each other at once would each count two and leave none; the
    lock makes the second wait for the first and count again (on PostgreSQL a locked row
    that no longer matches drops out; SQLite serialises writers anyway).
    """
    locked = session.scalars(
        select(User.id)
        .where(User.role == access.ADMIN, User.is_active.is_(True))
        .order_by(User.id)
        .with_for_update()
    ).all()
    return len(locked)
