"""The staff console: server-rendered pages at /console, a second face of the core beside
the HTTP API (api/). It calls the same services and the same scope rule, never the API.

A signed-in browser holds a cookie naming one of the same sign-in sessions (auth_sessions)
that tokens name, so logout, deactivation and lockdown end it as they end tokens.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSessionInterface

from console.csrf import csrf
from console.views import blp


def register(app: Flask) -> None:
    settings = app.extensions["youthapp"].settings
    app.secret_key = _session_key(settings.jwt_secret_key)
    app.config.update(
        # During a key rotation, sessions signed under the previous key stay valid.
        SECRET_KEY_FALLBACKS=(
            [_session_key(settings.jwt_secret_key_previous)]
            if settings.jwt_secret_key_previous
            else []
        ),
        SESSION_COOKIE_NAME="console_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=not settings.is_development and settings.environment != "test",
        SESSION_COOKIE_PATH="/console",
        # The API's POSTs carry bearer tokens, not cookies: only the console's forms are
        # checked (console.views protects them).
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.session_interface = _SessionsFromCookies()
    csrf.init_app(app)
    app.register_blueprint(blp)


def _session_key(secret: str) -> str:
    return hmac.new(secret.encode(), b"console-session", hashlib.sha256).hexdigest()


class _SessionsFromCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, but a request without the console's cookie (every
    API request: the cookie's path is /console) gets its empty session without a signer
    being built for it, which Flask does on every request."""

    def open_session(self, app: Flask, request: Request) -> Any:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)
