"""Domain errors: what went wrong in the programme's terms; the API maps them to HTTP once."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class; `errors` carries field-level detail for invalid input.

    `keep_changes` marks a refusal that must still leave its trace (a failed login counts
    towards a lockout; a replayed refresh token revokes its family): the boundary commits
    what the service flushed before answering with the error, instead of rolling back.
    """

    def __init__(
        self, message: str, errors: dict[str, Any] | None = None, *, keep_changes: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.keep_changes = keep_changes


class NotFound(DomainError):
    """The record does not exist, or is outside the caller's scope (never say which)."""

    def __init__(self, message: str = "Not found.") -> None:
        super().__init__(message)


class Forbidden(DomainError):
    """The caller's role may not do this at all."""

    def __init__(self, message: str = "You are not allowed to do this.") -> None:
        super().__init__(message)


class Unauthenticated(DomainError):
    """Credentials are missing, wrong, expired or revoked."""


class Conflict(DomainError):
    """The request clashes with the current state (a duplicate, a second decision)."""


class PreconditionFailed(DomainError):
    """The caller changed a version of the record that is no longer the current one."""

    def __init__(
        self, message: str = "This was changed by someone else. Reload it and try again."
    ) -> None:
        super().__init__(message)


class InvalidInput(DomainError):
    """The request is well formed but breaks a rule of the programme."""


class Gone(DomainError):
    """The thing existed but can no longer be used (an expired code)."""


class TooManyAttempts(DomainError):
    """Throttled; try again after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, keep_changes=True)
        self.retry_after = max(1, retry_after)
