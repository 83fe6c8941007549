"""What the OpenAPI document says of every operation without each route repeating it."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from apispec import BasePlugin

SECURITY_SCHEMES = {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}

_RETRY_AFTER = {"description": "Seconds to wait before trying again", "schema": {"type": "integer"}}


IDEMPOTENCY_KEY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Retry safely: the same key and body replay the first answer (for 24 "
    "hours) to a caller who may still see what it is about, with secrets (an activation "
    "code, a calendar key) as null; the same key with another body is 422; while the first "
    "is running, 409 (for at most a minute if it died)",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}

# The highest page number a list accepts: beyond it the row offset no longer fits the
# databases' 64-bit integers, and no list here comes anywhere near it.
MAX_PAGE = 2**31 - 1


class StandardErrorsPlugin(BasePlugin):
    """Adds the error responses that the app-wide machinery can give to every operation,
    and the page number's upper bound to every list."""

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        for method, operation in (operations or {}).items():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and parameter.get("name") == "page":
                    # Refused above it (api/extensions.py), so say so.
                    parameter.get("schema", {}).setdefault("maximum", MAX_PAGE)
            responses = operation.setdefault("responses", {})
            if "{" in (path or ""):
                responses.setdefault("404", "NOT_FOUND")
            if method in ("post", "put", "patch"):
                responses.setdefault("413", HTTPStatus(413).name)
            if "requestBody" in operation:
                # Only an operation that reads a body can find it malformed or not JSON.
                responses.setdefault("400", "BAD_REQUEST")
                responses.setdefault("415", "UNSUPPORTED_MEDIA_TYPE")
            responses.setdefault("500", "INTERNAL_SERVER_ERROR")
            responses.setdefault("503", "SERVICE_UNAVAILABLE")


def retry_after_header() -> dict[str, Any]:
    return {"Retry-After": _RETRY_AFTER}
