"""The push senders against a stand-in push service on loopback: what they send, and what
each answer (or silence) means for the device."""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from py_vapid import Vapid02

from youthapp.config import ConfigurationError, Settings, load_settings
from youthapp.notify.factory import senders_from_settings
from youthapp.notify.fcm import MESSAGING_SCOPE, FcmSender, ServiceAccountTokens
from youthapp.notify.senders import Outcome, PushMessage
from youthapp.notify.webpush import (
    DEFAULT_TTL_SECONDS,
    InvalidSubscription,
    WebPushSender,
    endpoint_problem,
    parse_subscription,
)

TIMEOUT = 2  # seconds: the stand-in's "hang" (10 s) outlasts it; a loaded machine does not
SUBJECT = "mailto:push@example.org"
PROJECT = "youthapp-test"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- the stand-in push service ----------------------------------------------------------


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 201
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False


class StandIn:
    """An HTTP server on 127.0.0.1 that records every request and answers as told: a
    push service for pushes, and Google's token endpoint at /token."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answer = Answer()
        self.token_answer = Answer(status=200)
        self.tokens_minted = 0
        self.token_lifetime = 3600
        self.release = threading.Event()  # lets hanging handlers go at teardown
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                received = Received(
                    "POST",
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                stand_in.received.append(received)
                answer = stand_in.token_answer if self.path == "/token" else stand_in.answer
                if self.path == "/token" and answer.body is None and not answer.hang:
                    stand_in.tokens_minted += 1
                    answer = Answer(
                        200,
                        {
                            "access_token": f"minted-{stand_in.tokens_minted}",
                            "expires_in": stand_in.token_lifetime,
                            "token_type": "Bearer",
                        },
                    )
                if answer.hang:
                    stand_in.release.wait(10)
                    return
                payload = b"" if answer.body is None else json.dumps(answer.body).encode()
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def pushes(self) -> list[Received]:
        return [r for r in self.received if r.path != "/token"]


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    server = StandIn()
    server.thread.start()
    yield server
    server.release.set()
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture(autouse=True)
def _no_proxy_for_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Talk to the stand-in directly, whatever proxy the machine has set."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def closing() -> Iterator[Any]:
    """`closing(sender)`: closed after the test, so no connection is left open."""
    senders: list[Any] = []

    def keep(sender: Any) -> Any:
        senders.append(sender)
        return sender

    yield keep
    for sender in senders:
        sender.close()


def message(*, urgent: bool = False, **data: str) -> PushMessage:
    return PushMessage(
        notification_id="6f1c1f9e-0d55-4f49-9a51-3c9f6b1f0c11",
        kind="appointment_reminder",
        title="You have a new message",
        body="Open the app to read it.",
        data=data or {"appointment_id": "a1b2"},
        urgent=urgent,
    )


# --- Web Push ---------------------------------------------------------------------------


@dataclass
class Browser:
    """A fake browser's subscription: its key pair and auth secret, to decrypt with."""

    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    endpoint: str

    @property
    def subscription(self) -> str:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return json.dumps(
            {
                "endpoint": self.endpoint,
                "expirationTime": None,
                "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)},
            }
        )

    def decrypt(self, body: bytes) -> Any:
        plain = http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(plain)


@pytest.fixture
def browser(stand_in: StandIn) -> Browser:
    return Browser(
        ec.generate_private_key(ec.SECP256R1()),
        os.urandom(16),
        f"{stand_in.url}/push/subscription-1",
    )


@pytest.fixture
def vapid_key() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return b64url(key.private_numbers().private_value.to_bytes(32, "big"))


@pytest.fixture
def web_push(vapid_key: str, closing) -> WebPushSender:
    return closing(
        WebPushSender(
            vapid_private_key=vapid_key,
            vapid_subject=SUBJECT,
            timeout_seconds=TIMEOUT,
            allow_loopback=True,
        )
    )


def test_web_push_sends_the_message_encrypted_for_the_browser_and_signed_with_our_key(
    web_push, browser, stand_in
):
    outcome = web_push.send(browser.subscription, message(appointment_id="a1b2"))

    assert outcome is Outcome.DELIVERED
    [push] = stand_in.pushes
    assert push.path == "/push/subscription-1"
    assert push.headers["content-encoding"] == "aes128gcm"
    assert push.headers["ttl"] == str(DEFAULT_TTL_SECONDS)  # kept while the phone is off
    assert push.headers["urgency"] == "normal"
    # Only the browser's keys open it, and what it opens to is the message as worded.
    assert b"Open the app" not in push.body
    assert browser.decrypt(push.body) == {
        "notification_id": "6f1c1f9e-0d55-4f49-9a51-3c9f6b1f0c11",
        "kind": "appointment_reminder",
        "title": "You have a new message",
        "body": "Open the app to read it.",
        "data": {"appointment_id": "a1b2"},
        "urgent": False,
    }
    # RFC 8292: a JWT for this push service, signed by the key the browser subscribed with.
    scheme, _, parameters = push.headers["authorization"].partition(" ")
    assert scheme == "vapid"
    assert Vapid02.verify(push.headers["authorization"])
    values = dict(part.split("=", 1) for part in parameters.split(","))
    assert values["k"] == web_push.application_server_key
    claims = json.loads(b64url_decode(values["t"].split(".")[1]))
    assert claims["aud"] == stand_in.url
    assert claims["sub"] == SUBJECT
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600


def test_an_urgent_web_push_asks_for_high_urgency(web_push, browser, stand_in):
    assert web_push.send(browser.subscription, message(urgent=True)) is Outcome.DELIVERED
    assert stand_in.pushes[0].headers["urgency"] == "high"


def test_the_vapid_audience_follows_each_endpoint(web_push, browser, stand_in):
    """pywebpush writes `aud` into the claims it is given; a shared dict would sign every
    later push for the first push service."""
    other = Browser(
        browser.private_key,
        browser.auth,
        stand_in.url.replace("127.0.0.1", "localhost") + "/push/2",
    )
    web_push.send(browser.subscription, message())
    web_push.send(other.subscription, message())
    audiences = [
        json.loads(
            b64url_decode(p.headers["authorization"].split("t=")[1].split(",")[0].split(".")[1])
        )["aud"]
        for p in stand_in.pushes
    ]
    assert audiences == [stand_in.url, stand_in.url.replace("127.0.0.1", "localhost")]


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.DELIVERED),
        (201, Outcome.DELIVERED),
        (202, Outcome.DELIVERED),
        (204, Outcome.DELIVERED),
        (404, Outcome.GONE),  # unsubscribed
        (410, Outcome.GONE),  # expired
        (400, Outcome.GONE),  # a subscription the push service will never accept
        (403, Outcome.GONE),  # made with another application server key
        (408, Outcome.RETRY),
        (413, Outcome.RETRY),  # our payload, not the browser's fault: keep the device
        (429, Outcome.RETRY),
        (500, Outcome.RETRY),
        (502, Outcome.RETRY),
        (503, Outcome.RETRY),
    ],
)
def test_each_web_push_answer_says_what_to_do_with_the_device(
    web_push, browser, stand_in, status, outcome
):
    stand_in.answer = Answer(status, headers={"Retry-After": "30"} if status == 429 else {})
    assert web_push.send(browser.subscription, message()) is outcome
    assert len(stand_in.pushes) == 1


def test_a_web_push_redirect_is_not_followed(web_push, browser, stand_in):
    """Whoever runs an endpoint's host must not be able to point the scheduler elsewhere."""
    stand_in.answer = Answer(307, headers={"Location": f"{stand_in.url}/elsewhere"})
    assert web_push.send(browser.subscription, message()) is Outcome.GONE
    assert [p.path for p in stand_in.pushes] == ["/push/subscription-1"]


def test_a_push_service_that_hangs_is_given_up_on_in_time_and_retried(web_push, browser, stand_in):
    stand_in.answer = Answer(hang=True)
    started = time.monotonic()
    assert web_push.send(browser.subscription, message()) is Outcome.RETRY
    assert time.monotonic() - started < TIMEOUT + 2


def test_a_push_service_that_is_down_is_retried(web_push, browser):
    closed = _closed_port()
    down = Browser(browser.private_key, browser.auth, f"http://127.0.0.1:{closed}/push/1")
    assert web_push.send(down.subscription, message()) is Outcome.RETRY


def _valid_keys() -> dict[str, str]:
    public = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return {"p256dh": b64url(public), "auth": b64url(os.urandom(16))}


BAD_SUBSCRIPTIONS = {
    "not JSON": "this is not json",
    "a list": "[]",
    "no endpoint": json.dumps({"keys": _valid_keys()}),
    "no keys": json.dumps({"endpoint": "https://fcm.googleapis.com/fcm/send/x"}),
    "p256dh not on the curve": json.dumps(
        {
            "endpoint": "https://fcm.googleapis.com/fcm/send/x",
            "keys": {**_valid_keys(), "p256dh": b64url(b"\x04" + b"\x01" * 64)},
        }
    ),
    "p256dh too short": json.dumps(
        {
            "endpoint": "https://fcm.googleapis.com/fcm/send/x",
            "keys": {**_valid_keys(), "p256dh": b64url(b"\x04" * 33)},
        }
    ),
    "auth not 16 bytes": json.dumps(
        {
            "endpoint": "https://fcm.googleapis.com/fcm/send/x",
            "keys": {**_valid_keys(), "auth": b64url(b"1234")},
        }
    ),
    "auth not base64": json.dumps(
        {
            "endpoint": "https://fcm.googleapis.com/fcm/send/x",
            "keys": {**_valid_keys(), "auth": "not base64!!"},
        }
    ),
    "an internal host": json.dumps(
        {"endpoint": "https://metadata.google.internal/computeMetadata", "keys": _valid_keys()}
    ),
}


@pytest.mark.parametrize("token", BAD_SUBSCRIPTIONS.values(), ids=BAD_SUBSCRIPTIONS.keys())
def test_a_subscription_that_cannot_work_is_gone_without_sending(web_push, stand_in, token):
    assert web_push.send(token, message()) is Outcome.GONE
    assert stand_in.received == []


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/dWxhYmVs:APA91bExample",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABexample",
        "https://web.push.apple.com/QGuQyavXutnMH-example",
        "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAexample",
    ],
)
def test_the_push_services_of_real_browsers_are_accepted(endpoint):
    assert endpoint_problem(endpoint) is None
    subscription = parse_subscription(json.dumps({"endpoint": endpoint, "keys": _valid_keys()}))
    assert subscription.endpoint == endpoint


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://fcm.googleapis.com/fcm/send/x",  # not https
        "https://127.0.0.1/push",  # an address, not a push service
        "https://127.1/push",  # an address to the resolver
        "https://0x7f.1/push",
        "https://[::1]/push",
        "https://10.0.0.5/push",
        "https://169.254.169.254/latest/meta-data",
        "https://localhost/push",
        "https://pushserver/push",  # a name only a private network knows
        "https://printer.local/push",
        "https://user:password@fcm.googleapis.com/x",
        "ftp://fcm.googleapis.com/x",
        "https://fcm.googleapis.com:notaport/x",
        "https://fcm.googleapis.com/x y",
        "https://" + "a" * 2100 + ".com/",
    ],
)
def test_endpoints_outside_public_push_services_are_refused(endpoint):
    assert endpoint_problem(endpoint) is not None
    with pytest.raises(InvalidSubscription):
        parse_subscription(json.dumps({"endpoint": endpoint, "keys": _valid_keys()}))


def test_plain_http_on_loopback_is_allowed_only_when_asked_for():
    endpoint = "http://127.0.0.1:8080/push/1"
    assert endpoint_problem(endpoint) is not None
    assert endpoint_problem(endpoint, allow_loopback=True) is None
    assert endpoint_problem("http://localhost:8080/push/1", allow_loopback=True) is None
    # Loopback, not anywhere over plain http.
    assert endpoint_problem("http://10.0.0.5/push", allow_loopback=True) is not None


def test_a_subscription_is_stored_in_one_form_whatever_the_browser_sent():
    keys = _valid_keys()
    padded = {"p256dh": keys["p256dh"] + "=", "auth": keys["auth"] + "=="}
    one = parse_subscription(
        json.dumps(
            {
                "endpoint": "https://fcm.googleapis.com/fcm/send/x",
                "expirationTime": None,
                "keys": padded,
            },
            indent=2,
        )
    )
    two = parse_subscription(
        json.dumps({"keys": keys, "endpoint": "https://fcm.googleapis.com/fcm/send/x"})
    )
    assert one.to_json() == two.to_json()
    assert json.loads(one.to_json()) == {
        "endpoint": "https://fcm.googleapis.com/fcm/send/x",
        "keys": keys,
    }


def test_the_vapid_key_may_be_given_raw_or_as_pem(vapid_key):
    raw = WebPushSender(vapid_private_key=vapid_key, vapid_subject=SUBJECT)
    key = ec.derive_private_key(int.from_bytes(b64url_decode(vapid_key), "big"), ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    from_pem = WebPushSender(vapid_private_key=pem, vapid_subject=SUBJECT)
    assert raw.application_server_key == from_pem.application_server_key
    assert len(b64url_decode(raw.application_server_key)) == 65
    raw.close()
    from_pem.close()


@pytest.mark.parametrize("key", ["not a key", b64url(b"\x00" * 20), ""])
def test_a_vapid_key_that_is_not_one_is_refused(key):
    with pytest.raises(ValueError, match="WEBPUSH_VAPID_PRIVATE_KEY"):
        WebPushSender(vapid_private_key=key, vapid_subject=SUBJECT)


# --- FCM --------------------------------------------------------------------------------


@pytest.fixture
def fcm(stand_in: StandIn, closing) -> FcmSender:
    return closing(
        FcmSender(
            project_id=PROJECT,
            allow_loopback=True,
            token_provider=lambda: "access-token-1",
            base_url=stand_in.url,
            timeout_seconds=TIMEOUT,
        )
    )


def test_fcm_sends_a_v1_message_with_our_bearer_token(fcm, stand_in):
    stand_in.answer = Answer(200, {"name": f"projects/{PROJECT}/messages/0:1"})

    outcome = fcm.send("registration-token-1", message(appointment_id="a1b2", step="3"))

    assert outcome is Outcome.DELIVERED
    [push] = stand_in.pushes
    assert push.path == f"/v1/projects/{PROJECT}/messages:send"
    assert push.headers["authorization"] == "Bearer access-token-1"
    assert push.json() == {
        "message": {
            "token": "registration-token-1",
            "notification": {"title": "You have a new message", "body": "Open the app to read it."},
            "data": {
                "appointment_id": "a1b2",
                "step": "3",
                "notification_id": "6f1c1f9e-0d55-4f49-9a51-3c9f6b1f0c11",
                "kind": "appointment_reminder",
            },
            "android": {"priority": "normal"},
            "apns": {"headers": {"apns-priority": "5"}},
        }
    }


def test_an_urgent_fcm_message_goes_at_high_priority(fcm, stand_in):
    stand_in.answer = Answer(200, {"name": "x"})
    assert fcm.send("registration-token-1", message(urgent=True)) is Outcome.DELIVERED
    sent = stand_in.pushes[0].json()["message"]
    assert sent["android"] == {"priority": "high"}
    assert sent["apns"] == {"headers": {"apns-priority": "10"}}


def test_fcm_data_values_are_always_strings(fcm, stand_in):
    stand_in.answer = Answer(200, {"name": "x"})
    odd = PushMessage("n1", "alert", "t", "b", {"count": 3, "ok": True, "none": None}, False)  # type: ignore[dict-item]
    fcm.send("registration-token-1", odd)
    data = stand_in.pushes[0].json()["message"]["data"]
    assert data == {
        "count": "3",
        "ok": "True",
        "none": "None",
        "notification_id": "n1",
        "kind": "alert",
    }
    assert all(isinstance(value, str) for value in data.values())


def fcm_error(code: int, status: str, message_text: str, *details: dict) -> dict:
    return {
        "error": {"code": code, "message": message_text, "status": status, "details": list(details)}
    }


def fcm_code(error_code: str) -> dict:
    return {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": error_code}


def bad_field(name: str) -> dict:
    return {
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        "fieldViolations": [{"field": name, "description": "Invalid value"}],
    }


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (200, {"name": "x"}, Outcome.DELIVERED),
        (
            404,
            fcm_error(
                404, "NOT_FOUND", "Requested entity was not found.", fcm_code("UNREGISTERED")
            ),
            Outcome.GONE,
        ),
        (
            400,
            fcm_error(
                400,
                "INVALID_ARGUMENT",
                "The registration token is not a valid FCM registration token",
                fcm_code("INVALID_ARGUMENT"),
            ),
            Outcome.GONE,
        ),
        (
            400,
            fcm_error(
                400,
                "INVALID_ARGUMENT",
                "Invalid value at 'message.token'",
                fcm_code("INVALID_ARGUMENT"),
                bad_field("message.token"),
            ),
            Outcome.GONE,
        ),
        (400, fcm_error(400, "UNREGISTERED", "Unregistered"), Outcome.GONE),
        # Our message was wrong, not the phone: the device stays.
        (
            400,
            fcm_error(
                400,
                "INVALID_ARGUMENT",
                "Invalid data payload key: from",
                fcm_code("INVALID_ARGUMENT"),
                bad_field("message.data[0].key"),
            ),
            Outcome.RETRY,
        ),
        (
            401,
            fcm_error(401, "UNAUTHENTICATED", "Request had invalid authentication"),
            Outcome.RETRY,
        ),
        (403, fcm_error(403, "PERMISSION_DENIED", "Permission denied"), Outcome.RETRY),
        (
            403,
            fcm_error(
                403, "PERMISSION_DENIED", "SenderId mismatch", fcm_code("SENDER_ID_MISMATCH")
            ),
            Outcome.RETRY,
        ),
        (
            429,
            fcm_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded", fcm_code("QUOTA_EXCEEDED")),
            Outcome.RETRY,
        ),
        (500, fcm_error(500, "INTERNAL", "Internal error", fcm_code("INTERNAL")), Outcome.RETRY),
        (503, fcm_error(503, "UNAVAILABLE", "Unavailable", fcm_code("UNAVAILABLE")), Outcome.RETRY),
        (502, None, Outcome.RETRY),  # a proxy's empty error page
        # A 404 that FCM did not write (a wrong FCM_BASE_URL): no phone has gone.
        (404, None, Outcome.RETRY),
        (404, {"message": "no such route"}, Outcome.RETRY),
    ],
)
def test_each_fcm_answer_says_what_to_do_with_the_device(fcm, stand_in, status, body, outcome):
    stand_in.answer = Answer(status, body)
    assert fcm.send("registration-token-1", message()) is outcome
    assert len(stand_in.pushes) == 1


@pytest.mark.parametrize("status", [401, 403])
def test_fcm_refusing_our_credentials_is_logged_loudly(fcm, stand_in, caplog, status):
    stand_in.answer = Answer(status, fcm_error(status, "PERMISSION_DENIED", "denied"))
    with caplog.at_level(logging.ERROR, logger="youthapp.notify.fcm"):
        assert fcm.send("registration-token-1", message()) is Outcome.RETRY
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert "credentials" in record.getMessage()
    assert "registration-token-1" not in record.getMessage()  # tokens never go in logs


def test_fcm_that_hangs_is_given_up_on_in_time_and_retried(fcm, stand_in):
    stand_in.answer = Answer(hang=True)
    started = time.monotonic()
    assert fcm.send("registration-token-1", message()) is Outcome.RETRY
    assert time.monotonic() - started < TIMEOUT + 2


def test_fcm_that_is_down_is_retried(closing):
    sender = closing(
        FcmSender(
            project_id=PROJECT,
            allow_loopback=True,
            token_provider=lambda: "t",
            base_url=f"http://127.0.0.1:{_closed_port()}",
            timeout_seconds=TIMEOUT,
        )
    )
    assert sender.send("registration-token-1", message()) is Outcome.RETRY


def test_without_an_access_token_nothing_is_sent_and_the_message_is_retried(
    stand_in, closing, caplog
):
    def broken() -> str:
        raise RuntimeError("token endpoint unreachable")

    sender = closing(
        FcmSender(
            project_id=PROJECT,
            allow_loopback=True,
            token_provider=broken,
            base_url=stand_in.url,
            timeout_seconds=TIMEOUT,
        )
    )
    with caplog.at_level(logging.ERROR, logger="youthapp.notify.fcm"):
        assert sender.send("registration-token-1", message()) is Outcome.RETRY
    assert stand_in.received == []
    assert "FCM_SERVICE_ACCOUNT_FILE" in caplog.text


# --- FCM access tokens from a service account -------------------------------------------


@pytest.fixture
def service_account_file(tmp_path, stand_in: StandIn):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    path = tmp_path / "service-account.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": PROJECT,
                "private_key_id": "key-1",
                "private_key": pem,
                "client_email": f"push@{PROJECT}.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": f"{stand_in.url}/token",
            }
        )
    )
    return path, key.public_key()


def test_access_tokens_are_minted_from_the_service_account_and_reused_while_valid(
    service_account_file, stand_in, closing
):
    path, public_key = service_account_file
    tokens = closing(ServiceAccountTokens(str(path), timeout_seconds=TIMEOUT))
    sender = closing(
        FcmSender(
            project_id=PROJECT,
            allow_loopback=True,
            base_url=stand_in.url,
            timeout_seconds=TIMEOUT,
            token_provider=tokens,
        )
    )
    stand_in.answer = Answer(200, {"name": "x"})

    assert sender.send("registration-token-1", message()) is Outcome.DELIVERED
    assert sender.send("registration-token-2", message()) is Outcome.DELIVERED

    [grant] = [r for r in stand_in.received if r.path == "/token"]  # one token, used twice
    assert [p.headers["authorization"] for p in stand_in.pushes] == ["Bearer minted-1"] * 2
    form = urllib.parse.parse_qs(grant.body.decode())
    assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    header, claims, signature = form["assertion"][0].split(".")
    claims = json.loads(b64url_decode(claims))
    assert claims["iss"] == f"push@{PROJECT}.iam.gserviceaccount.com"
    assert claims["scope"] == MESSAGING_SCOPE
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    public_key.verify(
        b64url_decode(signature),
        f"{header}.{form['assertion'][0].split('.')[1]}".encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


def test_an_access_token_about_to_expire_is_replaced(service_account_file, stand_in, closing):
    path, _ = service_account_file
    stand_in.token_lifetime = 60  # inside google-auth's refresh margin: stale at once
    tokens = closing(ServiceAccountTokens(str(path), timeout_seconds=TIMEOUT))
    assert tokens() == "minted-1"
    assert tokens() == "minted-2"


def test_a_token_endpoint_that_hangs_is_given_up_on_in_time(
    service_account_file, stand_in, closing
):
    path, _ = service_account_file
    stand_in.token_answer = Answer(hang=True)
    tokens = closing(ServiceAccountTokens(str(path), timeout_seconds=TIMEOUT))
    sender = closing(
        FcmSender(
            project_id=PROJECT,
            allow_loopback=True,
            base_url=stand_in.url,
            timeout_seconds=TIMEOUT,
            token_provider=tokens,
        )
    )
    started = time.monotonic()
    assert sender.send("registration-token-1", message()) is Outcome.RETRY
    assert stand_in.pushes == []
    # google-auth tries its token endpoint a few times; each try is bounded.
    assert time.monotonic() - started < 4 * (TIMEOUT + 2)


# --- which senders the settings ask for -------------------------------------------------


def test_push_is_off_by_default(tmp_path):
    assert senders_from_settings(Settings()) == []
    production = load_settings({"JWT_SECRET_KEY": "k" * 32}, instance_path=tmp_path)
    assert senders_from_settings(production) == []


def test_web_push_is_on_with_a_vapid_key_and_subject(tmp_path, vapid_key):
    settings = load_settings(
        {
            "JWT_SECRET_KEY": "k" * 32,
            "WEBPUSH_VAPID_PRIVATE_KEY": vapid_key,
            "WEBPUSH_VAPID_SUBJECT": SUBJECT,
            "PUSH_TIMEOUT_SECONDS": "3",
        },
        instance_path=tmp_path,
    )
    [sender] = senders_from_settings(settings)
    assert isinstance(sender, WebPushSender)
    assert sender.platforms == ("web",)
    assert sender._timeout == (3, 3)
    sender.close()


def test_fcm_is_on_with_a_project_and_a_service_account_file(tmp_path, service_account_file):
    path, _ = service_account_file
    settings = load_settings(
        {
            "JWT_SECRET_KEY": "k" * 32,
            "FCM_PROJECT_ID": PROJECT,
            "FCM_SERVICE_ACCOUNT_FILE": str(path),
            "FCM_BASE_URL": "http://127.0.0.1:9/",
            "WEBPUSH_ALLOW_LOOPBACK": "true",
        },
        instance_path=tmp_path,
    )
    [sender] = senders_from_settings(settings)
    assert isinstance(sender, FcmSender)
    assert sender.platforms == ("android", "ios")
    assert sender._url == f"http://127.0.0.1:9/v1/projects/{PROJECT}/messages:send"
    sender.close()


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"WEBPUSH_VAPID_PRIVATE_KEY": "abc"}, "WEBPUSH_VAPID_SUBJECT"),
        ({"WEBPUSH_VAPID_SUBJECT": SUBJECT}, "WEBPUSH_VAPID_PRIVATE_KEY"),
        (
            {"WEBPUSH_VAPID_PRIVATE_KEY": "abc", "WEBPUSH_VAPID_SUBJECT": "push@example.org"},
            "mailto:",
        ),
        ({"FCM_PROJECT_ID": PROJECT}, "FCM_SERVICE_ACCOUNT_FILE"),
        ({"FCM_SERVICE_ACCOUNT_FILE": "/x.json"}, "FCM_PROJECT_ID"),
        (
            {"FCM_PROJECT_ID": "Not A Project!", "FCM_SERVICE_ACCOUNT_FILE": "/x.json"},
            "FCM_PROJECT_ID",
        ),
        ({"FCM_BASE_URL": "fcm.googleapis.com"}, "FCM_BASE_URL"),
        ({"FCM_BASE_URL": "http://fcm.googleapis.com"}, "FCM_BASE_URL"),
        ({"FCM_BASE_URL": "http://127.0.0.1:9"}, "WEBPUSH_ALLOW_LOOPBACK"),
        ({"PUSH_TIMEOUT_SECONDS": "0"}, "PUSH_TIMEOUT_SECONDS"),
        ({"PUSH_TIMEOUT_SECONDS": "600"}, "PUSH_TIMEOUT_SECONDS"),
        ({"WEBPUSH_ALLOW_LOOPBACK": "maybe"}, "WEBPUSH_ALLOW_LOOPBACK"),
    ],
)
def test_half_a_push_configuration_stops_start_up(tmp_path, env, complaint):
    with pytest.raises(ConfigurationError, match=complaint):
        load_settings({"JWT_SECRET_KEY": "k" * 32, **env}, instance_path=tmp_path)


def test_an_unusable_key_or_file_stops_start_up_without_repeating_it(tmp_path):
    bad_key = Settings(
        webpush_vapid_private_key="c2VjcmV0LWJ1dC1ub3QtYS1rZXk", webpush_vapid_subject=SUBJECT
    )
    with pytest.raises(ConfigurationError, match="WEBPUSH_VAPID_PRIVATE_KEY") as raised:
        senders_from_settings(bad_key)
    assert "c2VjcmV0" not in str(raised.value)

    missing = Settings(
        fcm_project_id=PROJECT, fcm_service_account_file=str(tmp_path / "missing.json")
    )
    with pytest.raises(ConfigurationError, match="FCM_SERVICE_ACCOUNT_FILE"):
        senders_from_settings(missing)

    not_a_key = tmp_path / "sa.json"
    not_a_key.write_text(
        json.dumps(
            {
                "type": "service_account",
                "private_key": "secret-text",
                "client_email": "a@b",
                "token_uri": "https://x",
            }
        )
    )
    with pytest.raises(ConfigurationError, match="FCM_SERVICE_ACCOUNT_FILE") as raised:
        senders_from_settings(
            Settings(fcm_project_id=PROJECT, fcm_service_account_file=str(not_a_key))
        )
    assert "secret-text" not in str(raised.value)


def test_the_vapid_key_is_kept_out_of_the_settings_repr(vapid_key):
    assert vapid_key not in repr(Settings(webpush_vapid_private_key=vapid_key))


def _closed_port() -> int:
    """A loopback port nobody listens on (taken, then let go)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    "address",
    ["10.0.0.1", "127.0.0.1", "169.254.169.254", "100.64.0.1", "192.168.1.20", "::1", "fc00::1"],
)
def test_a_public_name_for_a_private_address_is_never_posted_to(
    vapid_key, closing, monkeypatch, address
):
    """`10.0.0.1.nip.io` passes any check of the name: it is checked by what it resolves
    to when the push is sent, and the connection goes to the address that was checked."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    looked_up, connected = [], []

    def resolve(host, port, *args, **kwargs):
        looked_up.append(host)
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(socket.socket, "connect", lambda self, where: connected.append(where))
    sender = closing(
        WebPushSender(vapid_private_key=vapid_key, vapid_subject=SUBJECT, timeout_seconds=TIMEOUT)
    )
    endpoint = "https://push.10.0.0.1.nip.io/wpush/v2/abc"
    assert endpoint_problem(endpoint) is None  # nothing wrong with the name as such
    token = json.dumps({"endpoint": endpoint, "keys": _valid_keys()})
    assert sender.send(token, message()) is Outcome.GONE
    assert looked_up == ["push.10.0.0.1.nip.io"] and connected == []


def test_a_push_service_on_another_port_is_refused():
    assert endpoint_problem("https://fcm.googleapis.com:8443/fcm/send/x") is not None
    assert endpoint_problem("https://fcm.googleapis.com:443/fcm/send/x") is None


def test_fcm_posts_to_loopback_only_when_allowed(stand_in, closing):
    guarded = closing(
        FcmSender(
            project_id=PROJECT,
            token_provider=lambda: "t",
            base_url=stand_in.url,
            timeout_seconds=TIMEOUT,
        )
    )
    assert guarded.send("device-token", message()) is Outcome.RETRY
    assert stand_in.received == []
