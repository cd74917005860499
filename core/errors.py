"""The one error tree of Tickertone; transports map it to HTTP statuses and GraphQL codes.

TickertoneError
 ├── InvalidInput        the caller's request is wrong (422 / 400)
 │    └── InvalidCursor  a pagination cursor that we did not issue
 ├── NotFound            the thing asked for does not exist (404)
 ├── Conflict            the request clashes with current state (409)
 ├── Unauthorized        no usable credentials (401)
 ├── Forbidden           credentials lack a scope (403)
 ├── RateLimited         over the caller's limit (429)
 ├── PayloadTooLarge     body over the configured limit (413)
 └── Unavailable         a backing service is down or too slow (503)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar


class TickertoneError(Exception):
    """Base of every error we raise on purpose; ``code`` is stable and machine-readable."""

    code: ClassVar[str] = "error"

    def __init__(self, message: str, *, details: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, object] = dict(details or {})


class InvalidInput(TickertoneError):
    code = "invalid_input"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        details: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message, details=details)
        self.field = field
        if code is not None:
            self.code = code  # type: ignore[misc]


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"


class NotFound(TickertoneError):
    code = "not_found"


class Conflict(TickertoneError):
    code = "conflict"


class Unauthorized(TickertoneError):
    code = "unauthorized"


class Forbidden(TickertoneError):
    code = "forbidden"


class RateLimited(TickertoneError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after


class PayloadTooLarge(TickertoneError):
    code = "payload_too_large"


class Unavailable(TickertoneError):
    code = "unavailable"

    def __init__(self, message: str, *, retry_after: int = 2) -> None:
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after
