"""JWT minting and the JWT library's failures reshaped into the one error shape."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from flask_jwt_extended import JWTManager, create_access_token, create_refresh_token

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


def configure_jwt(jwt: JWTManager) -> None:
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
