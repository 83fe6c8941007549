"""JWT minting, the key a token is checked with (JWT_SECRET_KEY, or during a rotation
JWT_SECRET_KEY_PREVIOUS), and the JWT library's failures reshaped into the one error shape."""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from datetime import timedelta
from typing import Any

import jwt as pyjwt
from flask import current_app, g, has_request_context, request
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    get_jwt,
    verify_jwt_in_request,
)

from api.errors import error_response
from youthapp.services.auth import IssuedSession


def token_pair(issued: IssuedSession) -> dict[str, Any]:
    settings = current_app.extensions["youthapp"].settings
    access_lifetime = timedelta(minutes=settings.access_token_minutes)
    refresh_lifetime = timedelta(days=settings.refresh_token_days)
    identity = str(issued.user.id)
    claims = {"sid": str(issued.session_id)}
    return {
        "access_token": create_access_token(
            identity, additional_claims=claims, expires_delta=access_lifetime
        ),
        "refresh_token": create_refresh_token(
            identity,
            additional_claims={**claims, "jti": issued.refresh_jti},
            expires_delta=refresh_lifetime,
        ),
        "token_type": "Bearer",
        "expires_in": int(access_lifetime.total_seconds()),
        "refresh_expires_in": int(refresh_lifetime.total_seconds()),
        "user": issued.user,
    }


def decode_key(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """The key to check the presented token with: JWT_SECRET_KEY, unless its signature is
    wrong under that key and right under JWT_SECRET_KEY_PREVIOUS.

    Tokens are only ever signed with JWT_SECRET_KEY. The library hands this callback the
    token's unverified header and claims, not the token, so the token is found again in the
    Authorization header (the only place tokens are read from) and matched to them. Either
    way the library then checks the token in full (signature, expiry, type) with the key
    chosen here, and every failure reaches the loaders below: a 401 in the one shape.
    """
    current: str = current_app.config["JWT_SECRET_KEY"]
    previous: str = current_app.extensions["youthapp"].settings.jwt_secret_key_previous
    if not previous:
        return current
    token = _presented_token(header, claims)
    if token is None:
        return current
    algorithms = current_app.config["JWT_DECODE_ALGORITHMS"]
    signatures = pyjwt.PyJWS()
    try:
        signatures.decode(token, current, algorithms=algorithms)
    except pyjwt.InvalidSignatureError:
        try:
            signatures.decode(token, previous, algorithms=algorithms)
        except pyjwt.InvalidTokenError:
            return current  # signed with neither: refused as not valid
        return previous
    except pyjwt.InvalidTokenError:
        pass  # malformed, or another algorithm: the library refuses it with the current key
    return current


_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]*")


def _presented_token(header: dict[str, Any], claims: dict[str, Any]) -> str | None:
    """The token in this request's Authorization header whose unverified header and claims
    are `header` and `claims`; None outside a request, or when there is no such token."""
    if not has_request_context():
        return None
    algorithms = current_app.config["JWT_DECODE_ALGORITHMS"]
    presented = request.headers.get(current_app.config["JWT_HEADER_NAME"], "")
    for candidate in _TOKEN_LIKE.findall(presented):
        try:
            if pyjwt.get_unverified_header(candidate) == header and claims == pyjwt.decode(
                candidate, algorithms=algorithms, options={"verify_signature": False}
            ):
                return candidate
        except pyjwt.InvalidTokenError:
            continue
    return None


class VerifiedAccessTokens:
    """The claims of access tokens this process has already verified, by Authorization
    header, so that a phone's every request does not check the same signature again
    (PyJWT's decoding was a quarter of a small request's time).

    A token is taken from here only while its `exp` is still ahead; otherwise, or the first
    time, the JWT library checks it in full, with every failure its usual 401. Whether the
    sign-in still stands is not cached: the caller's session is read from the database on
    every request (auth.authenticate). The keys are fixed for the life of the process.
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._claims: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def claims(self) -> dict[str, Any]:
        header = request.headers.get("Authorization", "")
        with self._lock:
            cached = self._claims.get(header)
            if cached is not None:
                self._claims.move_to_end(header)
        if cached is not None and cached.get("exp", 0) > time.time():
            g._jwt_extended_jwt = cached  # where get_jwt() reads it, as the library leaves it
            return cached
        verify_jwt_in_request()
        claims: dict[str, Any] = get_jwt()
        with self._lock:
            self._claims[header] = claims
            while len(self._claims) > self._size:
                self._claims.popitem(last=False)
        return claims


def access_token_claims() -> dict[str, Any]:
    """The verified claims of this request's access token (401 if it has none that holds)."""
    verified: VerifiedAccessTokens = current_app.extensions["verified_access_tokens"]
    return verified.claims()


def configure_jwt(jwt: JWTManager) -> None:
    jwt.decode_key_loader(decode_key)

    def unauthorized(reason: str) -> Any:
        return error_response(401, "Sign in to continue: " + reason.rstrip(".") + ".")

    jwt.unauthorized_loader(lambda reason: unauthorized("the Authorization header is missing"))
    jwt.invalid_token_loader(lambda reason: unauthorized("the token is not valid"))
    jwt.expired_token_loader(lambda header, payload: unauthorized("the token has expired"))
    jwt.revoked_token_loader(lambda header, payload: unauthorized("the token was revoked"))
    jwt.needs_fresh_token_loader(lambda header, payload: unauthorized("a fresh sign-in is needed"))
    jwt.user_lookup_error_loader(
        lambda header, payload: unauthorized("the account is not available")
    )
    jwt.token_verification_failed_loader(
        lambda header, payload: unauthorized("the token was refused")
    )
