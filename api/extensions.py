"""The Flask extensions, and the Blueprint every area uses (strict parsing, role gates)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from http import HTTPStatus
from typing import Any

import flask_smorest
from flask import current_app, g, request
from flask_jwt_extended import get_jwt, verify_jwt_in_request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_smorest.pagination import PaginationMetadataSchema
from flask_smorest.utils import prepare_response
from webargs.flaskparser import abort

from api import idempotency
from api.database import db_session
from api.errors import ErrorSchema, handle_http_exception
from api.etags import IF_MATCH_PARAMETER
from api.openapi import IDEMPOTENCY_KEY_PARAMETER, MAX_PAGE, retry_after_header
from api.parsing import StrictParser
from api.tokens import access_token_claims
from youthapp import access
from youthapp.clock import utcnow
from youthapp.errors import Forbidden
from youthapp.models import User
from youthapp.services import auth

BEARER_SECURITY = [{"bearerAuth": []}]
API_ROOT = "/api/v1"


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):  # type: ignore[override]
        return handle_http_exception(error)

    def _register_responses(self) -> None:
        # Every 429 and 503 carries Retry-After; say so wherever they are documented
        # (naming the response in alt_response drops any headers given beside it).
        super()._register_responses()
        for status in (HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.SERVICE_UNAVAILABLE):
            response = {
                "description": status.phrase,
                "schema": self.ERROR_SCHEMA,
                "headers": retry_after_header(),
            }
            prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)

    def _register_pagination_header(self) -> None:
        # X-Pagination carries JSON, which an OpenAPI header `schema` (the comma-separated
        # "simple" style) does not describe: name its media type instead.
        self.spec.components.header(
            "PAGINATION",
            {
                "description": "Pagination metadata, as JSON",
                "content": {"application/json": {"schema": PaginationMetadataSchema}},
            },
            lazy=True,
        )


class PaginationParser(StrictParser):
    """`?page=&page_size=`, with the page number bounded as well as the page size."""

    def parse(self, argmap: Any, req: Any = None, **kwargs: Any) -> Any:
        params = super().parse(argmap, req, **kwargs)
        if params.page > MAX_PAGE:
            abort(
                422,
                message="The request is not valid.",
                messages={"query": {"page": [f"Must be less than or equal to {MAX_PAGE}."]}},
            )
        return params


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictParser()
    PAGINATION_ARGUMENTS_PARSER = PaginationParser()

    def arguments(self, schema: Any, *args: Any, **kwargs: Any) -> Any:
        """As flask-smorest's, with a schema class made into an instance once: webargs
        otherwise builds a new schema for every request (marshmallow schemas are safe to
        share between threads for loading)."""
        if isinstance(schema, type):
            schema = schema()
        return super().arguments(schema, *args, **kwargs)

    def login_required(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Any signed-in user."""
        return self._gate(())(func)

    def roles_required(self, *roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Signed-in users of these roles; other roles get 403."""
        return self._gate(roles)

    def read_only(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """A route that only reads: its session cannot write, and on PostgreSQL costs no
        BEGIN or ROLLBACK round trip (api/database.py). Put it above the role gate."""

        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            g.read_only = True
            return func(*args, **kwargs)

        return wrapper

    def case_route(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """A route about a young person's case (/young-people/{id}/..., /alerts/{id},
        /goals/{id}, /steps/{id}, /appointments/{id}): referrers and admins may never use
        one (403); anyone else finds only what is in their scope (404 otherwise)."""
        return self._gate(access.CASE_ROUTE_ROLES)(func)

    def idempotent(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """A creating request that takes an Idempotency-Key (api/idempotency.py): retried
        with the same key and body, it answers as the first time. Put it under the role
        gate, which claims the key once the caller may use the route."""
        func = self.doc(parameters=[IDEMPOTENCY_KEY_PARAMETER])(func)
        func = self.alt_response(409, response="CONFLICT")(func)
        func = self.alt_response(422, response="UNPROCESSABLE_ENTITY")(func)
        func.takes_idempotency_key = True  # type: ignore[attr-defined]
        return func

    def if_match_required(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Document the If-Match precondition; the handler reads it with if_match_tags()."""
        func = self.doc(parameters=[IF_MATCH_PARAMETER])(func)
        func = self.alt_response(412, response="PRECONDITION_FAILED")(func)
        return self.alt_response(428, response="PRECONDITION_REQUIRED")(func)

    def _gate(self, roles: tuple[str, ...]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            keyed = getattr(func, "takes_idempotency_key", False)

            @wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                user = authenticate_request()
                if roles and not access.role_may(user.role, roles, request.method):
                    raise Forbidden()
                _refuse_after_exit(user)
                if keyed and (replay := idempotency.claim_or_replay(user)) is not None:
                    return replay
                return func(*args, **kwargs)

            wrapper = self.doc(security=BEARER_SECURITY)(wrapper)
            wrapper = self.alt_response(401, response="UNAUTHORIZED")(wrapper)
            if roles:
                wrapper = self.alt_response(403, response="FORBIDDEN")(wrapper)
            return wrapper

        return decorator


def authenticate_request(*, refresh: bool = False) -> User:
    """Check the bearer token and load its user and session afresh from the database."""
    if refresh:
        verify_jwt_in_request(refresh=True)
        claims = get_jwt()
    else:
        claims = access_token_claims()
    user = auth.authenticate(
        db_session(), user_id=claims.get("sub"), session_id=claims.get("sid"), now=utcnow()
    )
    g.current_user = user
    return user


def _refuse_after_exit(user: User) -> None:
    if user.case_status == "exited" and not access.open_after_exit(
        request.method, request.path.removeprefix(API_ROOT)
    ):
        raise Forbidden(
            "You have left the programme, so this part of the app is closed. You can still "
            "see your data, and ask for help now at any time."
        )


def current_user() -> User:
    return g.current_user


def runtime() -> Any:
    """The app's Runtime (settings, session factory, password hashing, throttle policy)."""
    return current_app.extensions["youthapp"]


limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


def client_platform() -> str | None:
    """What the caller's user agent says it runs on, for the list of sign-ins."""
    agent = request.user_agent.string.lower()
    for platform, marks in (
        ("ios", ("iphone", "ipad", "ios", "darwin")),
        ("android", ("android", "okhttp")),
        ("web", ("mozilla",)),
    ):
        if any(mark in agent for mark in marks):
            return platform
    return None


def client_address() -> str:
    """The caller's address (behind PROXY_HOPS trusted proxies, the one they saw)."""
    return (request.remote_addr or "unknown")[:64]
