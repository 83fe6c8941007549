"""Devices a user has registered for push: one row per phone or browser, which follows the
phone if it changes hands, so nobody is ever pushed another person's notifications."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from youthapp import audit
from youthapp.errors import Conflict, InvalidInput, NotFound
from youthapp.models import PLATFORMS, Device, User
from youthapp.notify.webpush import InvalidSubscription, parse_subscription

MAX_PUSH_TOKEN_LENGTH = 4096
# One person has a phone or two and a browser or two. Past this the least recently seen
# is dropped, so an app that keeps minting tokens cannot make every message fan out.
MAX_DEVICES_PER_USER = 10


def push_token_hash(identity: str) -> str:
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()


def register(
    session: Session,
    actor: User,
    *,
    platform: str,
    push_token: str,
    now: datetime,
    allow_loopback: bool = False,
) -> tuple[Device, bool]:
    """Register the caller's device: (device, created).

    The same token again from the same user updates the device (and re-enables one a push
    service had refused: the app registers afresh when it gets a new subscription). A token
    another user had registered moves to the caller as a new device, with nothing of its
    past, and the other user no longer has it.
    """
    push_token, identity = _checked_token(platform, push_token, allow_loopback=allow_loopback)
    token_hash = push_token_hash(identity)
    device = _by_hash(session, token_hash)
    if device is not None and device.user_id == actor.id:
        return _seen_again(session, device, platform, push_token, now), False
    if device is not None:
        previous_owner = device.user_id
        session.delete(device)
        session.flush()
        audit.record(
            session,
            actor,
            "device.moved",
            young_person_id=actor.young_person_id,
            subject=("device", device.id),
            details={"platform": platform, "from_user_id": str(previous_owner)},
            now=now,
        )
    device = Device(
        user_id=actor.id,
        platform=platform,
        push_token=push_token,
        push_token_hash=token_hash,
        last_seen_at=now,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(device)
            session.flush()
    except IntegrityError:
        # The same token was registered by another request at this very moment: if that
        # was this user's own retry, it is the same device; if someone else's, say so.
        device = _by_hash(session, token_hash)
        if device is None or device.user_id != actor.id:
            raise Conflict("This device is being registered already. Try again.") from None
        return _seen_again(session, device, platform, push_token, now), False
    _drop_least_recently_seen(session, actor, keep=device)
    audit.record(
        session,
        actor,
        "device.registered",
        young_person_id=actor.young_person_id,
        subject=("device", device.id),
        details={"platform": platform},
        now=now,
    )
    return device, True


def my_devices_query(actor: User) -> Select[Device]:
    return (
        select(Device)
        .where(Device.user_id == actor.id)
        .order_by(Device.last_seen_at.desc(), Device.id)
    )


def remove(session: Session, actor: User, device_id: uuid.UUID, *, now: datetime) -> None:
    """Forget one of the caller's devices (signing out of the app on that phone)."""
    device = session.scalar(
        select(Device).where(Device.id == device_id, Device.user_id == actor.id)
    )
    if device is None:
        raise NotFound("No such device.")
    session.delete(device)
    audit.record(
        session,
        actor,
        "device.removed",
        young_person_id=actor.young_person_id,
        subject=("device", device.id),
        details={"platform": device.platform},
        now=now,
    )
    session.flush()


def _seen_again(
    session: Session, device: Device, platform: str, push_token: str, now: datetime
) -> Device:
    device.platform, device.push_token = platform, push_token
    device.last_seen_at, device.updated_at, device.disabled_at = now, now, None
    session.flush()
    return device


def _checked_token(platform: str, push_token: str, *, allow_loopback: bool) -> tuple[str, str]:
    """The token as it will be stored, and what identifies the device.

    A registration token is its own identity. A web subscription is stored in one canonical
    form and identified by its endpoint, so the same browser sending it with other spacing,
    or with fresh keys, is still one device.
    """
    if platform not in PLATFORMS:
        raise InvalidInput("Unknown platform.", errors={"platform": ["Unknown platform."]})
    if not push_token.strip() or len(push_token) > MAX_PUSH_TOKEN_LENGTH:
        raise InvalidInput(
            "The push token is empty or too long.",
            errors={"push_token": [f"Must be 1 to {MAX_PUSH_TOKEN_LENGTH} characters."]},
        )
    if platform != "web":
        if push_token != push_token.strip() or not push_token.isprintable():
            raise InvalidInput(
                "This is not a push token.",
                errors={"push_token": ["A registration token is one line of text."]},
            )
        return push_token, push_token
    try:
        subscription = parse_subscription(push_token, allow_loopback=allow_loopback)
    except InvalidSubscription as exc:
        raise InvalidInput(
            "This is not a usable web push subscription.", errors={"push_token": [str(exc)]}
        ) from None
    return subscription.to_json(), subscription.endpoint


def _by_hash(session: Session, token_hash: str) -> Device | None:
    return session.scalar(select(Device).where(Device.push_token_hash == token_hash))


def _drop_least_recently_seen(session: Session, actor: User, *, keep: Device) -> None:
    devices = list(session.scalars(my_devices_query(actor)))
    for device in devices[MAX_DEVICES_PER_USER:]:
        if device.id != keep.id:
            session.delete(device)
    session.flush()
