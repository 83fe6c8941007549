"""Firebase Cloud Messaging (HTTP v1): pushes to Android phones, and to iPhones through
FCM's APNs bridge, authorised by a short-lived token minted from a service account."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import requests

from youthapp.notify.http import public_session
from youthapp.notify.senders import Outcome, PushMessage

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://fcm.googleapis.com"
MESSAGING_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
# FCM's code for a registration token that will never work again. (SENDER_ID_MISMATCH,
# a token from another Firebase project, is answered with 403 and retried like the other
# credential failures: a wrong FCM_PROJECT_ID would otherwise disable every phone at once.)
_TOKEN_GONE_CODES = {"UNREGISTERED"}

TokenProvider = Callable[[], str]


class AccessTokenError(RuntimeError):
    """No access token could be had for FCM (the service account, or Google, failed)."""


class ServiceAccountTokens:
    """Access tokens for FCM from a service-account key file, refreshed before they expire.

    google-auth waits two minutes by default for its token endpoint; ours is bounded by
    `timeout_seconds` like every other push request.
    """

    def __init__(self, service_account_file: str, *, timeout_seconds: float = 5) -> None:
        # Imported here so that the core does not load google-auth unless FCM is on.
        from google.auth.transport.requests import Request
        from google.oauth2 import service_account

        # google-auth ships py.typed but leaves this classmethod unannotated.
        self._credentials = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
            service_account_file, scopes=[MESSAGING_SCOPE]
        )
        self._http = requests.Session()
        transport = Request(self._http)

        def bounded(*args: Any, **kwargs: Any) -> Any:
            kwargs["timeout"] = timeout_seconds
            return transport(*args, **kwargs)

        self._request = bounded
        self._lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def __call__(self) -> str:
        from google.auth.exceptions import GoogleAuthError

        with self._lock:
            if not self._credentials.valid:  # none yet, or expiring within minutes
                try:
                    self._credentials.refresh(self._request)
                except GoogleAuthError as exc:
                    raise AccessTokenError(f"{type(exc).__name__}: {exc}") from exc
            token: str = self._credentials.token  # google-auth leaves it unannotated
            return token


class FcmSender:
    """Sends to Android and iOS devices registered with an FCM registration token."""

    platforms: tuple[str, ...] = ("android", "ios")

    def __init__(
        self,
        *,
        project_id: str,
        token_provider: TokenProvider,
        base_url: str = DEFAULT_BASE_URL,
        timeout_seconds: float = 5,
        allow_loopback: bool = False,
    ) -> None:
        self._url = f"{base_url.rstrip('/')}/v1/projects/{project_id}/messages:send"
        self._token_provider = token_provider
        self._timeout = (timeout_seconds, timeout_seconds)  # to connect, and for each read
        # FCM_BASE_URL is checked like a subscription: only the public internet.
        self._session = public_session(
            timeout_seconds=timeout_seconds, allow_loopback=allow_loopback
        )

    def close(self) -> None:
        """Close the pooled connections (when the scheduler shuts down)."""
        self._session.close()
        close_tokens = getattr(self._token_provider, "close", None)
        if close_tokens is not None:
            close_tokens()

    def send(self, push_token: str, message: PushMessage) -> Outcome:
        where = f"FCM notification {message.notification_id}"
        try:
            access_token = self._token_provider()
        except Exception as exc:  # whatever failed, no push can go without a token
            log.error("%s: no FCM access token (check FCM_SERVICE_ACCOUNT_FILE): %s", where, exc)
            return Outcome.RETRY
        try:
            response = self._session.post(
                self._url,
                json=fcm_body(push_token, message),
                headers={"Authorization": f"Bearer {access_token}"},
                timeout=self._timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:  # timed out, refused, cut off: passing
            log.warning("%s: %s; will retry", where, type(exc).__name__)
            return Outcome.RETRY
        return _outcome(response, where)


def fcm_body(push_token: str, message: PushMessage) -> dict[str, Any]:
    """The v1 `messages:send` body: shown as a notification, with the ids in `data`."""
    data = {key: str(value) for key, value in message.data.items()}
    # The app opens the right screen from these; FCM accepts only string values.
    data.update(notification_id=message.notification_id, kind=message.kind)
    return {
        "message": {
            "token": push_token,
            "notification": {"title": message.title, "body": message.body},
            "data": data,
            "android": {"priority": "high" if message.urgent else "normal"},
            "apns": {"headers": {"apns-priority": "10" if message.urgent else "5"}},
        }
    }


def _outcome(response: requests.Response, where: str) -> Outcome:
    status = response.status_code
    if 200 <= status < 300:
        return Outcome.DELIVERED
    error_status, codes, fields, text = _error_details(response)
    described = f"{where}: HTTP {status} {error_status or ''} {','.join(sorted(codes))}".rstrip()
    if codes & _TOKEN_GONE_CODES or error_status in ("NOT_FOUND", "UNREGISTERED"):
        log.info("%s; the registration token is gone", described)
        return Outcome.GONE
    if status == 404:
        # A 404 that is not FCM's own error: a wrong FCM_BASE_URL or a proxy, not a phone
        # that has gone. Disabling every device on it would lose every push.
        log.error("%s: not FCM's answer - check FCM_BASE_URL", described)
        return Outcome.RETRY
    if status == 400 and error_status == "INVALID_ARGUMENT" and _about_the_token(fields, text):
        log.info("%s; the registration token is not valid", described)
        return Outcome.GONE
    if status in (401, 403):
        # Our credentials, not the phone: every push fails until someone fixes them.
        log.error(
            "%s: FCM refused our credentials - check FCM_PROJECT_ID, the service "
            "account's Firebase Cloud Messaging permission, and that the app is built "
            "for this Firebase project",
            described,
        )
        return Outcome.RETRY
    if status == 429 or status >= 500:
        log.warning("%s; will retry", described)
        return Outcome.RETRY
    # Any other refusal is about the message we built, not the device: keep the device,
    # and let the message be retried and parked where someone will look.
    log.error("%s: FCM refused the message: %s", described, text[:300])
    return Outcome.RETRY


def _error_details(response: requests.Response) -> tuple[str | None, set[str], set[str], str]:
    """FCM's error: its status, the FcmError codes, the fields it blamed, and its message."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return None, set(), set(), ""
    if not isinstance(error, dict):
        return None, set(), set(), ""
    codes: set[str] = set()
    fields: set[str] = set()
    for detail in error.get("details") or []:
        if not isinstance(detail, dict):
            continue
        if isinstance(detail.get("errorCode"), str):
            codes.add(detail["errorCode"])
        for violation in detail.get("fieldViolations") or []:
            if isinstance(violation, dict) and isinstance(violation.get("field"), str):
                fields.add(violation["field"])
    status, message = error.get("status"), error.get("message")
    return (
        status if isinstance(status, str) else None,
        codes,
        fields,
        message if isinstance(message, str) else "",
    )


def _about_the_token(fields: set[str], message: str) -> bool:
    return "message.token" in fields or "registration token" in message.lower()
