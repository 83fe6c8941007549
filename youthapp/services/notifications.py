"""Notifications to one user: discreet wording by default, and no duplicates."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from youthapp.errors import NotFound
from youthapp.models import Notification, User
from youthapp.notify import outbox

# Pushed at once, whatever the hour or the contact windows: alerts staff must see now, the
# word to a young person who asked for help that someone has seen it, and the warning that
# their safety timer is about to run out.
PUSHED_AT_ONCE = ("alert", "help_seen", "safety_timer_ending")

# What a lock screen may show. A phone can be read by someone dangerous, so unless the young
# person turned discreet mode off, nothing names the programme, a mentor's role or a place.
DISCREET = ("You have a new message", "Open the app to read it.")

WORDING: dict[str, tuple[str, str]] = {
    "plan_updated": ("Your plan has changed", "Your mentor updated your plan. Take a look."),
    "appointment_booked": ("New appointment", "You have a new appointment on {when}."),
    "appointment_changed": ("Appointment changed", "Your appointment has moved to {when}."),
    "appointment_cancelled": ("Appointment cancelled", "The appointment on {when} is cancelled."),
    "appointment_response": ("Reply to an appointment", "A young person replied: {response}."),
    "appointment_reminder": ("Appointment reminder", "You have an appointment {when_words}."),
    "check_in_prompt": ("Time to check in", "How are you doing? Tap to check in."),
    "plan_review_due": ("Plan review due", "A support plan needs a review ({reason})."),
    # Staff phones can be read by others too: alerts name no young person.
    "alert": ("New alert", "A young person needs attention ({kind_label}). Open the app."),
    "all_clear": ("All clear", "A young person you were alerted about is safe ({kind_label})."),
    "help_seen": ("We've seen it", "Someone from your team has seen your request and is on it."),
    "referral_submitted": ("New referral", "A new referral is waiting to be triaged."),
    "referral_decided": ("Referral decided", "A referral you made has been {status}."),
    "safety_timer_ending": (
        "Your timer is nearly up",
        'Press "I\'m safe" or give yourself longer.',
    ),
    "consent_review": ("Time to check your choices", "Please look again at who may see what."),
    "consent_review_due": ("Consent review due", "A young person's consents are due for review."),
    "message": ("New message", "Your team sent you a message."),
    "message_to_staff": ("New message", "A young person sent a message."),
    "case_transferred": ("Case transferred", "A young person's case has moved to your team."),
    "case_access_given": ("Account change", "An admin {what}. Check that it was expected."),
    "password_reset_by_admin": (
        "Your password was reset",
        "An admin reset your password. If you did not ask for this, tell your coordinator.",
    ),
    "account_created_by_admin": ("Your account", "An admin created your staff account."),
}


def wording(kind: str, recipient: User, **values: Any) -> tuple[str, str]:
    if recipient.role == "young_person" and recipient.discreet_mode:
        return DISCREET
    title, body = WORDING[kind]
    values = {
        name: value.replace("_", " ") if isinstance(value, str) else value
        for name, value in values.items()
    }
    return title.format(**values), body.format(**values)


def notification_row(
    recipient: User,
    kind: str,
    *,
    data: dict[str, Any],
    now: datetime,
    dedupe_key: str | None = None,
    template: str | None = None,
    subject_id: uuid.UUID | None = None,
    **values: Any,
) -> dict[str, Any]:
    """The columns of one notification of `kind` to `recipient`, worded by `template` (the
    kind's own by default). PUSHED_AT_ONCE kinds are urgent: pushed at once, whatever the
    hour; anything else waits for the recipient's next contact window."""
    title, body = wording(template or kind, recipient, **values)
    urgent = kind in PUSHED_AT_ONCE
    return {
        "user_id": recipient.id,
        "kind": kind,
        "title": title,
        "body": body,
        "data": data,
        "created_at": now,
        "dedupe_key": dedupe_key,
        "subject_id": subject_id,
        "urgent": urgent,
        "delivery_status": "pending",
        "deliver_after": outbox.push_not_before(recipient, now, urgent=urgent),
        "attempts": 0,
        "delivered_device_ids": [],
    }


def notify(session: Session, recipient: User, kind: str, **options: Any) -> Notification:
    """One notification: in the recipient's inbox at once, and in the push outbox; an
    urgent one wakes the dispatcher."""
    notification = Notification(**notification_row(recipient, kind, **options))
    session.add(notification)
    session.flush()
    if notification.urgent:
        outbox.wake_dispatcher(session)
    return notification


def account_of(session: Session, young_person_id: uuid.UUID) -> User | None:
    """The young person's active account: whom to tell (None before they activate, or
    once the account is closed)."""
    return session.scalar(
        select(User).where(User.young_person_id == young_person_id, User.is_active.is_(True))
    )


def notify_young_person_of_plan_change(
    session: Session, young_person_id: uuid.UUID, *, data: dict[str, Any], now: datetime
) -> None:
    """Tell the young person their plan changed, folding into an unread notice if there is
    one, so a mentor's ten edits are one message, not ten."""
    recipient = account_of(session, young_person_id)
    if recipient is None:
        return  # not activated yet: they will see the plan when they are
    unread = session.scalar(
        select(Notification).where(
            Notification.user_id == recipient.id,
            Notification.kind == "plan_updated",
            Notification.read_at.is_(None),
        )
    )
    if unread is not None and unread.delivery_status == "pending":
        unread.created_at, unread.data = now, data  # not pushed yet: one message is enough
        return
    notify(session, recipient, "plan_updated", data=data, now=now)


def inbox_query(user: User, *, unread: bool | None = None) -> Select[Notification]:
    query = select(Notification).where(Notification.user_id == user.id)
    if unread is True:
        query = query.where(Notification.read_at.is_(None))
    elif unread is False:
        query = query.where(Notification.read_at.is_not(None))
    return query.order_by(Notification.created_at.desc(), Notification.id)


def mark_read(
    session: Session, user: User, notification_id: uuid.UUID, *, now: datetime
) -> Notification:
    notification = session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user.id
        )
    )
    if notification is None:
        raise NotFound("No such notification.")
    if notification.read_at is None:
        notification.read_at = now
        session.flush()
    return notification
