"""Safe contact: when, how and where the young person may be reached.

Their windows decide when non-urgent pushes go (outbox.push_not_before); staff in scope see
the whole of it on the record; a booking in a no-go borough, or starting outside the
windows, is refused unless it says why (the override is audited).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from youthapp import access, audit, windows
from youthapp.errors import Conflict, InvalidInput
from youthapp.models import User, YoungPerson
from youthapp.services import notifications, people
from youthapp.vocabulary import canonical_boroughs

CHANNELS = ("app", "phone_call", "text", "in_person")


@dataclass(frozen=True)
class ContactPreferences:
    """As the API shows them: window times as wall-clock times."""

    windows: list[dict[str, Any]] = field(default_factory=list)
    channels: list[str] = field(default_factory=lambda: list(CHANNELS))
    no_go_boroughs: list[str] = field(default_factory=list)


def of(account: User | None) -> ContactPreferences:
    if account is None:
        return ContactPreferences()
    return ContactPreferences(
        windows=[
            {
                **window,
                "from": time.fromisoformat(window["from"]),
                "to": time.fromisoformat(window["to"]),
            }
            for window in account.contact_windows or []
        ],
        channels=list(account.contact_channels)
        if account.contact_channels is not None
        else list(CHANNELS),
        no_go_boroughs=list(account.no_go_boroughs or []),
    )


def set_mine(
    session: Session, actor: User, data: Mapping[str, Any], *, now: datetime
) -> ContactPreferences:
    access.require_role(actor, access.YOUNG_PERSON)
    given = [_window(window) for window in data["windows"]]
    if problems := windows.problems(given):
        raise InvalidInput("Check your times.", errors={"windows": problems})
    boroughs, unknown = canonical_boroughs(data["no_go_boroughs"])
    if unknown:
        raise InvalidInput(
            "Unknown borough.",
            errors={"no_go_boroughs": [f"Not a London borough: {', '.join(unknown)}."]},
        )
    actor.contact_windows = given or None
    actor.contact_channels = list(dict.fromkeys(data["channels"]))
    actor.no_go_boroughs = boroughs
    session.flush()
    audit.record(
        session,
        actor,
        "contact_preferences.set",
        young_person_id=actor.young_person_id,
        subject=("user", actor.id),
        now=now,
    )
    return of(actor)


def for_staff(session: Session, actor: User, young_person_id: uuid.UUID) -> ContactPreferences:
    young_person = people.read_record(session, actor, young_person_id, "contact_preferences")
    return of(notifications.account_of(session, young_person.id))


def check_booking(
    session: Session,
    actor: User,
    young_person: YoungPerson,
    *,
    borough: str | None,
    starts_at: datetime,
    override_reason: str | None,
    now: datetime,
) -> list[str]:
    """Refuse a booking against the young person's safe contact (Conflict) unless it says
    why; returns what it overrode, for the caller to audit once the booking has an id."""
    account = notifications.account_of(session, young_person.id)
    preferences = of(account)
    against = []
    if borough is not None and borough in preferences.no_go_boroughs:
        against.append("no_go_borough")
    # The stored windows ("HH:MM" text), not the view's wall-clock times: is_open reads text.
    if account is not None and not windows.is_open(
        account.contact_windows, ZoneInfo(account.timezone), starts_at
    ):
        against.append("outside_windows")
    if against and not (override_reason or "").strip():
        raise Conflict(
            "This booking goes against the young person's safe contact ("
            + ", ".join(word.replace("_", " ") for word in against)
            + "). Choose another place or time, or give an override_reason."
        )
    return against


def record_override(
    session: Session,
    actor: User,
    young_person_id: uuid.UUID,
    appointment_id: uuid.UUID,
    against: list[str],
    *,
    now: datetime,
) -> None:
    audit.record(
        session,
        actor,
        "appointment.contact_override",
        young_person_id=young_person_id,
        subject=("appointment", appointment_id),
        details={"fields": against},
        now=now,
    )


def _window(window: Mapping[str, Any]) -> dict[str, Any]:
    days = list(dict.fromkeys(window["days"]))
    return {
        "days": days,
        "from": window["from"].strftime("%H:%M"),
        "to": window["to"].strftime("%H:%M"),
    }
