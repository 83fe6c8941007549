"""The young person's private iCalendar feed (RFC 5545) of their appointments.

Discreet by default: every event is titled "Meeting" with no location, notes or mentor
specialty, because a calendar app shows these to anyone holding the phone.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from youthapp import access
from youthapp.config import Settings
from youthapp.errors import NotFound
from youthapp.models import Appointment, CalendarFeed, User
from youthapp.services import notifications

HISTORY = timedelta(days=90)
MODE_WORDS = {"in_person": "Meeting", "phone": "Phone call", "video": "Video call"}
SPECIALTY_WORDS = {
    "mental_health": "mental health",
    "substance_misuse": "drugs and alcohol",
    "housing": "housing",
    "employment": "work",
}


def _mac(feed_id: str, settings: Settings, *, secret: str | None = None) -> str:
    root = (secret or settings.jwt_secret_key).encode()
    key = hmac.new(root, b"calendar-feeds", hashlib.sha256).digest()
    return hmac.new(key, feed_id.encode(), hashlib.sha256).hexdigest()[:32]


def _mac_matches(feed_id: str, mac: str, settings: Settings) -> bool:
    """A link made under the current key, or under the previous one during a rotation (so
    that subscribed calendars keep working)."""
    secrets = [settings.jwt_secret_key, settings.jwt_secret_key_previous]
    return any(
        hmac.compare_digest(mac.encode(), _mac(feed_id, settings, secret=secret).encode())
        for secret in secrets
        if secret
    )


def feed_token(
    session: Session, actor: User, *, settings: Settings, now: datetime, renew: bool = False
) -> str:
    """The young person's feed token, made on first use; `renew` revokes the old one."""
    access.require_role(actor, access.YOUNG_PERSON)
    feed = session.get(CalendarFeed, actor.young_person_id)
    if feed is None:
        feed = CalendarFeed(
            young_person_id=actor.young_person_id, created_at=now, feed_id=secrets.token_urlsafe(18)
        )
        session.add(feed)
    elif renew:
        feed.feed_id, feed.created_at = secrets.token_urlsafe(18), now
    session.flush()
    return f"{feed.feed_id}.{_mac(feed.feed_id, settings)}"


def revoke_feed(session: Session, actor: User) -> None:
    access.require_role(actor, access.YOUNG_PERSON)
    feed = session.get(CalendarFeed, actor.young_person_id)
    if feed is not None:
        session.delete(feed)
        session.flush()


def render_feed(session: Session, token: str, *, settings: Settings, now: datetime) -> bytes:
    """The .ics document for a token; NotFound for a wrong, revoked or forged token."""
    feed_id, _, mac = token.partition(".")
    if not (feed_id and mac and _mac_matches(feed_id, mac, settings)):
        raise NotFound("No such calendar.")
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.feed_id == feed_id))
    owner = notifications.account_of(session, feed.young_person_id) if feed is not None else None
    if feed is None or owner is None:
        raise NotFound("No such calendar.")
    appointments = session.scalars(
        select(Appointment)
        .where(
            Appointment.young_person_id == feed.young_person_id, Appointment.ends_at > now - HISTORY
        )
        .options(joinedload(Appointment.mentor))
        .order_by(Appointment.starts_at, Appointment.id)
    )
    return build_calendar(appointments, discreet=owner.discreet_mode, zone=owner.timezone, now=now)


def build_calendar(
    appointments: Iterable[Appointment], *, discreet: bool, zone: str, now: datetime
) -> bytes:
    local = ZoneInfo(zone)
    calendar = Calendar()
    calendar.add("prodid", "-//youthapp//appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Meetings")
    calendar.add("x-wr-timezone", zone)
    for appointment in appointments:
        event = Event()
        event.add("uid", f"{appointment.id}@youthapp")
        event.add("dtstamp", now)
        event.add("dtstart", appointment.starts_at.astimezone(local))
        event.add("dtend", appointment.ends_at.astimezone(local))
        event.add("sequence", appointment.sequence)
        event.add("last-modified", appointment.updated_at)
        event.add("status", "CANCELLED" if appointment.status == "cancelled" else "CONFIRMED")
        if discreet:
            event.add("summary", "Meeting")
        else:
            specialty = SPECIALTY_WORDS.get(appointment.mentor.specialty or "", "")
            event.add(
                "summary",
                f"{MODE_WORDS[appointment.mode]} with "
                f"{appointment.mentor.display_name}" + (f" ({specialty})" if specialty else ""),
            )
            if appointment.location:
                event.add("location", appointment.location)
            if appointment.notes_for_young_person:
                event.add("description", appointment.notes_for_young_person)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    document: bytes = calendar.to_ical()  # icalendar leaves it unannotated
    return document
