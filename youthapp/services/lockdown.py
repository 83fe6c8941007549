"""Lockdown: the young person's phone is in the wrong hands (taken, seized, lost).

Every sign-in ends, every push device is removed, the calendar feed's key is replaced (the
old URL stops working), the PINs are cleared (they may have been forced out of them), and
the account cannot sign in again until a coordinator issues a new activation code, with
which the young person sets a new password. An urgent `phone_compromised` alert asks staff
for a welfare check. It starts from the young person (`/auth/lost-phone`, from any phone)
or from staff in scope.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from youthapp import access, audit
from youthapp.errors import Conflict
from youthapp.models import CalendarFeed, Device, User
from youthapp.services import alerts, auth, notifications, people, throttle
from youthapp.services.passwords import PasswordHashing

LOST_PHONE = "lost_phone"


def report_lost_phone(
    session: Session,
    hashing: PasswordHashing,
    policy: throttle.ThrottlePolicy,
    *,
    email: str,
    password: str,
    client_address: str,
    now: datetime,
) -> None:
    """From any phone, with the account's password: lock it down. The caller answers the
    same whatever the credentials; failures count like failed logins."""
    user = auth.check_credentials(
        session,
        hashing,
        policy,
        email=email,
        password=password,
        client_address=client_address,
        now=now,
    )
    if user is None:
        return
    if user.role != access.YOUNG_PERSON:
        # Staff have no activation code to come back with: their sign-ins and devices go.
        _cut_off(session, user, now)
        audit.record(session, user, "account.phone_lost", subject=("user", user.id), now=now)
        return
    if user.locked_down_at is None:
        lock_down(session, user, by=user, reason=None, now=now)


def lock_down_by_staff(
    session: Session, actor: User, young_person_id: uuid.UUID, *, reason: str, now: datetime
) -> datetime:
    """Staff in scope lock the young person's account down."""
    young_person = people.find_young_person(session, actor, young_person_id)
    access.require_role(actor, access.COORDINATOR, access.MENTOR)
    account = notifications.account_of(session, young_person.id)
    if account is None:
        raise Conflict("This young person has no account to lock.")
    if account.locked_down_at is None:
        lock_down(session, account, by=actor, reason=reason, now=now)
    assert account.locked_down_at is not None
    return account.locked_down_at


def lock_down(
    session: Session, account: User, *, by: User, reason: str | None, now: datetime
) -> None:
    young_person_id = access.own_record_id(account)
    account.locked_down_at = now
    account.app_pin_hash = account.duress_pin_hash = None
    account.pin_failures = 0
    _cut_off(session, account, now)
    session.execute(delete(CalendarFeed).where(CalendarFeed.young_person_id == young_person_id))
    session.flush()
    started_by = "young_person" if by.id == account.id else by.role
    alerts.raise_alert(
        session,
        young_person_id,
        "phone_compromised",
        summary="The young person's phone may be in the wrong hands: check they are safe",
        details={"started_by": started_by, "reason": reason}
        if reason
        else {"started_by": started_by},
        now=now,
    )
    audit.record(
        session,
        by,
        "account.locked_down",
        young_person_id=young_person_id,
        subject=("user", account.id),
        details={"role": started_by},
        now=now,
    )


def _cut_off(session: Session, user: User, now: datetime) -> None:
    auth.end_all_sessions(session, user.id, now=now, reason="lockdown")
    session.execute(delete(Device).where(Device.user_id == user.id))
