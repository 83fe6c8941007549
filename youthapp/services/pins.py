"""The young person's two PINs: the app PIN opens the app; the duress PIN opens it just the
same, and silently calls for help.

Whoever watches the phone must not tell the two apart: the answer is the same, byte for
byte, and so is the work behind it. Both hashes are always checked, and the app PIN does
the duress PIN's work too, inside a savepoint that is then rolled back, so that neither the
time taken nor the statements run give it away. Nothing about a duress alert reaches any of
the young person's own views (HIDDEN_FROM_YOUNG_PERSON).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from youthapp import access, audit
from youthapp.errors import Conflict, Forbidden, InvalidInput, Unauthenticated
from youthapp.models import CheckIn, User
from youthapp.services import alerts, auth
from youthapp.services.checkins import coarsen
from youthapp.services.passwords import PasswordHashing

# Wrong PINs in a row that end the sign-in: the phone may not be in its owner's hands.
MAX_FAILURES = 5
WRONG_PIN = "That PIN is not right."
DURESS = "duress"


def set_pins(
    session: Session,
    hashing: PasswordHashing,
    actor: User,
    *,
    current_password: str,
    app_pin: str,
    duress_pin: str,
    now: datetime,
) -> None:
    access.require_role(actor, access.YOUNG_PERSON)
    if not hashing.verify(actor.password_hash, current_password):
        raise Forbidden("Your password is not right, so your PINs were not changed.")
    if app_pin == duress_pin:
        raise InvalidInput(
            "The two PINs must be different.",
            errors={"duress_pin": ["Must not be the same as the app PIN."]},
        )
    actor.app_pin_hash = hashing.hash(app_pin)
    actor.duress_pin_hash = hashing.hash(duress_pin)
    actor.pins_changed_at, actor.pin_failures = now, 0
    session.flush()
    audit.record(session, actor, "pins.set", subject=("user", actor.id), now=now)


def has_pins(user: User) -> bool:
    return user.app_pin_hash is not None and user.duress_pin_hash is not None


def check(
    session: Session,
    hashing: PasswordHashing,
    actor: User,
    pin: str,
    *,
    session_id: uuid.UUID | str,
    now: datetime,
    location: Mapping[str, float] | None = None,
    about: tuple[str, uuid.UUID] | None = None,
) -> bool:
    """Check a PIN. Returns whether it was the duress PIN (the caller answers the same
    either way, and must never show the difference). A wrong PIN is Unauthenticated; the
    fifth in a row ends this sign-in."""
    access.require_role(actor, access.YOUNG_PERSON)
    if not has_pins(actor):
        raise Conflict("Set your PINs first.")
    # Both hashes, always, in the same order: the time taken does not depend on which.
    is_app = hashing.verify(actor.app_pin_hash, pin)
    is_duress = hashing.verify(actor.duress_pin_hash, pin)
    if not (is_app or is_duress):
        actor.pin_failures += 1
        if actor.pin_failures >= MAX_FAILURES:
            actor.pin_failures = 0
            auth.end_session(session, session_id, now=now, reason="wrong_pins")
            session.flush()
            raise Unauthenticated(
                "Too many wrong PINs: you have been signed out. Sign in again.",
                keep_changes=True,
            )
        session.flush()
        raise Unauthenticated(WRONG_PIN, keep_changes=True)
    actor.pin_failures = 0
    _raise_duress(session, actor, location, about, now, real=is_duress)
    return is_duress


def _raise_duress(
    session: Session,
    actor: User,
    location: Mapping[str, float] | None,
    about: tuple[str, uuid.UUID] | None,
    now: datetime,
    *,
    real: bool,
) -> None:
    """The duress alert: urgent, escalating like a call for help, with the coarse location
    when the young person shares it. For the app PIN the same work is done and undone."""
    young_person_id = access.own_record_id(actor)
    details: dict[str, Any] = {"about": about[0] if about else "pin_check"}
    place = _coarse_location(session, actor, location)
    if place is not None:
        details["location"] = place
    savepoint = session.begin_nested()
    alerts.raise_alert(
        session,
        young_person_id,
        DURESS,
        summary="The duress PIN was used: the young person may be with someone dangerous",
        details=details,
        subject=about,
        now=now,
        fold=True,
    )
    session.flush()
    if real:
        savepoint.commit()
    else:
        savepoint.rollback()


def _coarse_location(
    session: Session, actor: User, given: Mapping[str, float] | None
) -> dict[str, float] | None:
    """Where the young person is, to about 100 m, only if they share their location: as
    the app sent it, or else their last check-in's."""
    if not actor.location_sharing:
        return None
    if given is not None:
        return {"lat": coarsen(given["lat"]), "lon": coarsen(given["lon"])}
    last = session.execute(
        select(CheckIn.latitude, CheckIn.longitude)
        .where(
            CheckIn.young_person_id == actor.young_person_id,
            CheckIn.latitude.is_not(None),
        )
        .order_by(CheckIn.created_at.desc())
        .limit(1)
    ).one_or_none()
    if last is None or last[0] is None or last[1] is None:
        return None
    return {"lat": last[0], "lon": last[1]}
