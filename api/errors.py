"""Every error answered in one shape: {code, status, message, errors?}."""

from __future__ import annotations

import logging
from typing import Any

import marshmallow as ma
from flask import Flask, Response, g, jsonify
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.http import HTTP_STATUS_CODES

from api.database import finish_session
from youthapp import errors as domain

log = logging.getLogger(__name__)

RETRY_AFTER_DATABASE_DOWN = 5

_DOMAIN_STATUS: dict[type[domain.DomainError], int] = {
    domain.NotFound: 404,
    domain.Forbidden: 403,
    domain.Unauthenticated: 401,
    domain.Conflict: 409,
    domain.InvalidInput: 422,
    domain.Gone: 410,
    domain.PreconditionFailed: 412,
    domain.TooManyAttempts: 429,
}


class ErrorSchema(ma.Schema):
    """The one error shape (documented in the OpenAPI document for every error response)."""

    code = ma.fields.Integer(required=True, metadata={"description": "HTTP status code"})
    status = ma.fields.String(required=True, metadata={"description": "HTTP status name"})
    message = ma.fields.String(
        required=True, metadata={"description": "What went wrong, for people"}
    )
    errors = ma.fields.Dict(
        metadata={
            "description": "Validation errors, keyed by location (json, query, ...) then field"
        }
    )
    request_id = ma.fields.String(
        metadata={"description": "Quote this when reporting a server error"}
    )


def error_response(
    code: int, message: str | None = None, errors: Any = None, headers: dict[str, str] | None = None
) -> Response:
    phrase = HTTP_STATUS_CODES.get(code, "Error")
    body: dict[str, Any] = {"code": code, "status": phrase, "message": message or phrase}
    if errors:
        body["errors"] = errors
    if code >= 500:
        body["request_id"] = g.get("request_id", "")
    response = jsonify(body)
    response.status_code = code
    if code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="youthapp"'
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_http_exception(error: HTTPException) -> Response:
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    retry_after = getattr(error, "retry_after", None)
    if error.code in (429, 503) and "Retry-After" not in headers:
        headers["Retry-After"] = str(retry_after or 60)
    errors = data.get("errors") or data.get("messages")
    message = data.get("message")
    if message is None:
        message = "The request is not valid." if error.code == 422 else error.description
    finish_session(commit=False)
    return error_response(error.code or 500, message, errors, headers)


def status_for(error: domain.DomainError) -> int:
    """The HTTP status of a domain error (the console answers with the same ones)."""
    return next(code for cls, code in _DOMAIN_STATUS.items() if isinstance(error, cls))


def handle_domain_error(error: domain.DomainError) -> Response:
    finish_session(commit=error.keep_changes)
    code = status_for(error)
    errors = {"json": error.errors} if error.errors else None
    headers = {}
    if isinstance(error, domain.TooManyAttempts):
        headers["Retry-After"] = str(error.retry_after)
    return error_response(code, error.message, errors, headers)


def handle_database_error(error: DBAPIError) -> Response:
    finish_session(commit=False)
    if isinstance(error, IntegrityError):
        # Two requests raced past the service's own check; the later one loses cleanly.
        return error_response(409, "This clashes with a record that was saved at the same time.")
    if isinstance(error, DataError):
        # The database refused a value (too long for its column, out of range): the input
        # cannot be stored, which is the caller's 422, though a schema limit is missing.
        # Its message can quote the value refused (a young person's words): log its kind.
        log.warning(
            "database refused a value (request %s): %s %s",
            g.get("request_id"),
            type(error.orig).__name__,
            getattr(error.orig, "sqlstate", None) or "",
        )
        return error_response(422, "A value is too long or out of range to be stored.")
    if isinstance(error, OperationalError) or error.connection_invalidated:
        log.warning("database unavailable (request %s): %s", g.get("request_id"), error.orig)
        return database_unavailable()
    return handle_unexpected(error)


def database_unavailable() -> Response:
    return error_response(
        503,
        "The service is briefly unavailable. Please try again.",
        headers={"Retry-After": str(RETRY_AFTER_DATABASE_DOWN)},
    )


def handle_unexpected(error: Exception) -> Response:
    finish_session(commit=False)
    log.exception("unhandled error (request %s)", g.get("request_id"))
    return error_response(500, "Something went wrong on our side. It has been logged.")


def handle_stale_write(error: StaleDataError) -> Response:
    # Two writers read the same version; the ORM's version check refused the second.
    finish_session(commit=False)
    return error_response(412, "This was changed by someone else. Reload it and try again.")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(domain.DomainError, handle_domain_error)
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(StaleDataError, handle_stale_write)
    app.register_error_handler(Exception, handle_unexpected)
