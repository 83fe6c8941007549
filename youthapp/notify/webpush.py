"""Web Push (RFC 8030, 8291, 8292): a message encrypted for one browser subscription, signed
with our VAPID key, and handed to that browser's push service with `pywebpush`."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

from youthapp.notify.http import InvalidIPAddress, public_session
from youthapp.notify.senders import Outcome, PushMessage

log = logging.getLogger(__name__)

# How long a push service keeps a message for a browser that is offline. pywebpush's own
# default is 0 (dropped unless the browser is listening at that moment); after a day a
# reminder is stale, and the inbox holds every message anyway.
DEFAULT_TTL_SECONDS = 24 * 60 * 60
MAX_ENDPOINT_LENGTH = 2048
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")
# Names that only mean something inside a private network: a subscription must name a
# public push service, or the scheduler could be made to post to our own hosts.
_PUBLIC_HOST_NAME = re.compile(
    r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$"
)
_PRIVATE_SUFFIXES = (".local", ".localdomain", ".internal", ".lan", ".home.arpa", ".localhost")


class InvalidSubscription(ValueError):
    """A push token that is not a usable Web Push subscription (the message says why)."""


@dataclass(frozen=True)
class Subscription:
    """A browser's PushSubscription: where to post, and the keys to encrypt for."""

    endpoint: str
    p256dh: str  # the browser's P-256 public key, base64url without padding
    auth: str  # the 16-byte authentication secret, base64url without padding

    def to_json(self) -> str:
        """The one stored form, whatever spacing, key order or extra fields came in."""
        return json.dumps(
            {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}},
            separators=(",", ":"),
            sort_keys=True,
        )

    def info(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


def parse_subscription(push_token: str, *, allow_loopback: bool = False) -> Subscription:
    """Read a Web Push subscription (the JSON of the browser's PushSubscription).

    `expirationTime` and other extra fields are accepted and dropped; the endpoint must be
    https on a public host name (plain http to 127.0.0.1/localhost only when
    `allow_loopback`, for tests and local development).
    """
    try:
        document = json.loads(push_token)
    except (ValueError, RecursionError):
        raise InvalidSubscription("A web push token must be the subscription as JSON.") from None
    if not isinstance(document, dict):
        raise InvalidSubscription("A web push token must be a JSON object.")
    endpoint, keys = document.get("endpoint"), document.get("keys")
    if not isinstance(endpoint, str) or not endpoint:
        raise InvalidSubscription("The subscription has no endpoint.")
    problem = endpoint_problem(endpoint, allow_loopback=allow_loopback)
    if problem:
        raise InvalidSubscription(problem)
    if not isinstance(keys, dict):
        raise InvalidSubscription("The subscription has no keys.")
    p256dh = _base64url(keys.get("p256dh"), "p256dh")
    auth = _base64url(keys.get("auth"), "auth")
    if len(p256dh) != 65 or p256dh[0] != 4:
        raise InvalidSubscription("keys.p256dh is not an uncompressed P-256 public key.")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh)
    except ValueError:
        raise InvalidSubscription("keys.p256dh is not a point on the P-256 curve.") from None
    if len(auth) != 16:
        raise InvalidSubscription("keys.auth must be 16 bytes.")
    return Subscription(endpoint=endpoint, p256dh=_encode(p256dh), auth=_encode(auth))


def endpoint_problem(endpoint: str, *, allow_loopback: bool = False) -> str | None:
    """Why `endpoint` may not be posted to, or None when it may."""
    if len(endpoint) > MAX_ENDPOINT_LENGTH:
        return f"The endpoint is longer than {MAX_ENDPOINT_LENGTH} characters."
    if not endpoint.isascii() or not endpoint.isprintable() or " " in endpoint:
        return "The endpoint is not a URL."
    try:
        parts = urlsplit(endpoint)
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        return "The endpoint is not a URL."
    host = (parts.hostname or "").rstrip(".")
    if not host or parts.username is not None or parts.password is not None or parts.fragment:
        return "The endpoint is not a push service URL."
    loopback = _is_loopback(host)
    if loopback and allow_loopback:
        return None if parts.scheme in ("http", "https") else "The endpoint must be https."
    if parts.scheme != "https":
        return "The endpoint must be https."
    if loopback or _is_ip_address(host) or not _PUBLIC_HOST_NAME.match(host):
        # Only a plain DNS name with an alphabetic top-level label: "127.1" or "0x7f.1"
        # are addresses to the resolver even though they do not look like one.
        return "The endpoint must name a push service, not an address."
    if host.endswith(_PRIVATE_SUFFIXES):
        return "The endpoint must be a public push service."
    if parts.port not in (None, 443):
        return "The endpoint must be a push service on the https port."
    return None


def load_vapid_key(private_key: str) -> Vapid02:
    """Our VAPID signing key, from PEM or from base64url (the raw 32-byte key that
    `web-push generate-vapid-keys` prints, or DER)."""
    text = private_key.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            raw = _base64url(text, "WEBPUSH_VAPID_PRIVATE_KEY")
            if len(raw) == 32:
                key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
            else:
                key = serialization.load_der_private_key(raw, password=None)
    except (ValueError, TypeError, InvalidSubscription):
        raise ValueError(
            "WEBPUSH_VAPID_PRIVATE_KEY is not a private key (PEM or base64url)"
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("WEBPUSH_VAPID_PRIVATE_KEY must be a P-256 (prime256v1) key")
    return Vapid02(key)


def application_server_key(vapid: Vapid02) -> str:
    """The public half, base64url: what the web app passes to pushManager.subscribe()."""
    return _encode(
        vapid.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


class WebPushSender:
    """Sends to browsers and installed web apps."""

    platforms: tuple[str, ...] = ("web",)

    def __init__(
        self,
        *,
        vapid_private_key: str,
        vapid_subject: str,
        timeout_seconds: float = 5,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        allow_loopback: bool = False,
    ) -> None:
        if not vapid_subject.startswith(("mailto:", "https://")):
            raise ValueError("WEBPUSH_VAPID_SUBJECT must be a mailto: or https:// address")
        self._vapid = load_vapid_key(vapid_private_key)
        self._subject = vapid_subject
        self._timeout = (timeout_seconds, timeout_seconds)  # to connect, and for each read
        self._ttl = ttl_seconds
        self._allow_loopback = allow_loopback
        self._session = public_session(
            timeout_seconds=timeout_seconds, allow_loopback=allow_loopback
        )

    @property
    def application_server_key(self) -> str:
        return application_server_key(self._vapid)

    def close(self) -> None:
        """Close the pooled connections (when the scheduler shuts down)."""
        self._session.close()

    def send(self, push_token: str, message: PushMessage) -> Outcome:
        try:
            subscription = parse_subscription(push_token, allow_loopback=self._allow_loopback)
        except InvalidSubscription as exc:
            log.info(
                "web push notification %s: unusable subscription (%s)", message.notification_id, exc
            )
            return Outcome.GONE
        host = urlsplit(subscription.endpoint).hostname
        try:
            webpush(
                subscription_info=subscription.info(),
                data=_payload(message),
                vapid_private_key=self._vapid,
                # A fresh dict each time: pywebpush writes this endpoint's `aud` into it.
                vapid_claims={"sub": self._subject},
                timeout=self._timeout,  # passed on to requests
                ttl=self._ttl,
                headers={"Urgency": "high" if message.urgent else "normal"},
                requests_session=self._session,
            )
        except WebPushException as exc:
            if exc.response is None:  # refused before anything was sent
                log.info("web push notification %s: %s", message.notification_id, exc.message)
                return Outcome.GONE
            return _outcome_for_status(exc.response.status_code, host, message)
        except (
            requests.Timeout,
            requests.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
        ) as exc:
            log.warning(
                "web push notification %s to %s: %s",
                message.notification_id,
                host,
                type(exc).__name__,
            )
            return Outcome.RETRY
        except InvalidIPAddress:
            # The name resolves to an address of ours (or nobody's): never post there.
            log.warning(
                "web push notification %s: %s resolves to a private or reserved address",
                message.notification_id,
                host,
            )
            return Outcome.GONE
        except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema) as exc:
            log.info("web push notification %s: %s", message.notification_id, type(exc).__name__)
            return Outcome.GONE
        except requests.RequestException as exc:
            log.warning(
                "web push notification %s to %s: %s",
                message.notification_id,
                host,
                type(exc).__name__,
            )
            return Outcome.RETRY
        return Outcome.DELIVERED


def _outcome_for_status(status: int, host: str | None, message: PushMessage) -> Outcome:
    """What a push service's answer means for this subscription. (pywebpush raises for
    anything above 202, so 203-299 arrive here too.)"""
    where = f"web push notification {message.notification_id} to {host}: HTTP {status}"
    if 200 <= status < 300:
        return Outcome.DELIVERED
    if status in (408, 429) or status >= 500:
        log.warning("%s; will retry", where)
        return Outcome.RETRY
    if status == 413:
        # Our message is too big, not the browser's fault: keep the device, and let the
        # message be retried and parked where someone will see it.
        log.error("%s: the payload is too large for the push service", where)
        return Outcome.RETRY
    if status in (401, 403):
        # The subscription was made with another application server key (ours changed),
        # or our key is wrong. Either way it will not work with this key; if every web
        # device goes at once, check WEBPUSH_VAPID_PRIVATE_KEY against the public key the
        # web app subscribes with. The app registers again on its next start.
        log.warning("%s: the push service refused our VAPID key for this subscription", where)
        return Outcome.GONE
    # 404 and 410: unsubscribed or expired. Other 4xx (and a 3xx, which push services
    # never send): the subscription as stored will never be accepted.
    log.info("%s; the subscription is gone", where)
    return Outcome.GONE


def _payload(message: PushMessage) -> str:
    """What the service worker receives: already worded discreetly where it must be."""
    return json.dumps(
        {
            "notification_id": message.notification_id,
            "kind": message.kind,
            "title": message.title,
            "body": message.body,
            "data": {key: str(value) for key, value in message.data.items()},
            "urgent": message.urgent,
        },
        separators=(",", ":"),
    )


def _base64url(value: object, name: str) -> bytes:
    if not isinstance(value, str) or not _BASE64URL.match(value):
        raise InvalidSubscription(f"{name} must be base64url text.")
    padded = value.rstrip("=")
    padded += "=" * (-len(padded) % 4)
    try:
        return base64.urlsafe_b64decode(padded)
    except (binascii.Error, ValueError):
        raise InvalidSubscription(f"{name} must be base64url text.") from None


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
