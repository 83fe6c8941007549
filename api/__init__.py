"""The HTTP face of the programme: create_app() builds the Flask application."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request
from flask_jwt_extended import JWTManager
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

import console
from api import compression, idempotency, metrics
from api.database import close_session, commit_reads, retrying_a_lost_connection, track_commits
from api.errors import register_error_handlers
from api.extensions import Api, client_address, limiter
from api.fields import WallClockTime
from api.json_provider import OrjsonProvider
from api.logs import configure_logging
from api.openapi import SECURITY_SCHEMES, StandardErrorsPlugin
from api.security import add_security_headers
from api.tokens import VerifiedAccessTokens, configure_jwt
from youthapp.audit import Origin, current_origin
from youthapp.config import Settings, load_settings
from youthapp.runtime import build_runtime

DOCS_ASSETS = "/api/v1/docs-assets"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class App(Flask):
    json_provider_class = OrjsonProvider

    def dispatch_request(self) -> Any:
        return retrying_a_lost_connection(super().dispatch_request)


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    app = App(__name__, instance_path=str(settings.instance_path), instance_relative_config=True)
    configure_logging(settings.log_level, settings.log_format)
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_content_length,
        JSON_SORT_KEYS=False,
        JWT_SECRET_KEY=settings.jwt_secret_key,
        JWT_ALGORITHM="HS256",
        JWT_DECODE_ALGORITHMS=["HS256"],
        JWT_TOKEN_LOCATION=["headers"],
        JWT_ACCESS_TOKEN_EXPIRES=timedelta(minutes=settings.access_token_minutes),
        JWT_REFRESH_TOKEN_EXPIRES=timedelta(days=settings.refresh_token_days),
        JWT_ERROR_MESSAGE_KEY="message",
        JWT_CSRF_PROTECT=False,
        API_TITLE="Youth support companion API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        # The pages' scripts and styles are served by the app (api/docs_assets/).
        OPENAPI_SWAGGER_UI_URL=f"{DOCS_ASSETS}/swagger-ui/",
        # No validator badge: it would send the document's address to a third party.
        OPENAPI_SWAGGER_UI_CONFIG={"validatorUrl": None},
        OPENAPI_REDOC_PATH="/redoc",
        OPENAPI_REDOC_URL=f"{DOCS_ASSETS}/redoc/redoc.standalone.js",
        API_SPEC_OPTIONS={
            "info": {"description": "The contract the phone app and staff tools rely on."},
            "components": {"securitySchemes": SECURITY_SCHEMES},
        },
        RATELIMIT_ENABLED=bool(settings.rate_limit_default),
        # One budget per client shared by every route (an application limit), not one per
        # route: a client limited on /me is limited everywhere. Help and content are exempt.
        RATELIMIT_APPLICATION=settings.rate_limit_default or None,
        RATELIMIT_STORAGE_URI=settings.redis_url or "memory://",
        RATELIMIT_HEADERS_ENABLED=True,
        # If the limiter's store (Redis) is down, serve without limits rather than fail
        # every request: an urgent check-in must get through. Logins stay throttled by
        # the database, not by the limiter.
        RATELIMIT_SWALLOW_ERRORS=True,
    )
    if settings.proxy_hops:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops
        )

    compression.register(app)  # first: its after_request then runs last
    metrics.register(app)
    # No ping before each use of a pooled connection: App.dispatch_request retries instead.
    app.extensions["youthapp"] = runtime = build_runtime(settings, pre_ping=False)
    track_commits(runtime.engine)
    if runtime.content_problem() is not None:
        app.logger.error("the content is broken: /content answers 503 until it is fixed")
    elif not settings.duty_line_phone and settings.environment == "production":
        app.logger.warning(
            "DUTY_LINE_PHONE is not set: the crisis contacts leave out the programme's duty line"
        )

    # First of all, so that every answer (a 429 from the limiter included) has its id.
    app.before_request(_assign_request_id)
    app.before_request(_refuse_oversized_body)
    api = Api(app, spec_kwargs={"extra_plugins": [StandardErrorsPlugin()]})
    # Custom fields the OpenAPI document cannot type by itself ("HH:MM" as a string).
    api.register_field(WallClockTime, "string", None)
    configure_jwt(JWTManager(app))
    app.extensions["verified_access_tokens"] = VerifiedAccessTokens()
    limiter.init_app(app)
    register_error_handlers(app)
    _register_blueprints(api)
    app.register_blueprint(
        Blueprint(
            "api-docs-assets",
            __name__,
            static_folder="docs_assets",
            static_url_path=DOCS_ASSETS.removeprefix("/api/v1"),
            url_prefix="/api/v1",
        )
    )
    console.register(app)

    app.after_request(_finish_response)
    app.after_request(commit_reads)  # runs before _finish_response, which finishes its 503
    # Registered after _finish_response so that it runs first (Flask runs after_request
    # functions in reverse order): the answer it stores, or the 503 it answers instead when
    # the database is lost, is then finished like any other (request id, security headers,
    # an ETag of the body as sent).
    idempotency.register(app)
    app.teardown_appcontext(close_session)

    from api.cli import register_commands

    register_commands(app)
    return app


def _register_blueprints(api: Api) -> None:
    from api.alerts.routes import blp as alerts_blp
    from api.appointments.routes import blp as appointments_blp
    from api.audit.routes import blp as audit_blp
    from api.auth.routes import blp as auth_blp
    from api.checkins.routes import blp as checkins_blp
    from api.content.routes import blp as content_blp
    from api.devices.routes import blp as devices_blp
    from api.health.routes import blp as health_blp
    from api.messages.routes import blp as messages_blp
    from api.notifications.routes import blp as notifications_blp
    from api.people.routes import blp as people_blp
    from api.plans.routes import blp as plans_blp
    from api.privacy.routes import blp as privacy_blp
    from api.referrals.routes import blp as referrals_blp
    from api.reports.routes import blp as reports_blp
    from api.sync.routes import blp as sync_blp
    from api.teams.routes import blp as teams_blp
    from api.users.routes import blp as users_blp

    for blueprint in (
        health_blp,
        content_blp,
        auth_blp,
        users_blp,
        teams_blp,
        referrals_blp,
        people_blp,
        plans_blp,
        appointments_blp,
        checkins_blp,
        alerts_blp,
        messages_blp,
        sync_blp,
        notifications_blp,
        privacy_blp,
        devices_blp,
        audit_blp,
        reports_blp,
    ):
        api.register_blueprint(blueprint)
    limiter.exempt(health_blp)
    limiter.exempt(content_blp)


def _assign_request_id() -> None:
    offered = request.headers.get("X-Request-ID", "")
    g.request_id = offered if _REQUEST_ID.match(offered) else uuid.uuid4().hex
    current_origin.set(Origin(client_address(), g.request_id))


def _refuse_oversized_body() -> None:
    # Werkzeug only refuses a large body when something reads it; refuse it up front, so
    # that an endpoint that ignores its body does not take one of any size.
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge(
            f"The request body is larger than the limit of {limit // 1024} KiB."
        )


def _finish_response(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id", "")
    add_security_headers(response)
    if (
        response.status_code in (200, 201)
        and response.mimetype == "application/json"
        and request.method in ("GET", "HEAD", "POST", "PUT", "PATCH")
        and not response.headers.get("ETag")
    ):
        # Every answer carries an ETag; routes whose resources take If-Match set their own
        # from a version column (api/etags.py).
        response.add_etag()
        if request.method in ("GET", "HEAD"):
            response.make_conditional(request)
    return response
