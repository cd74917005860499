"""The one table from our error tree to HTTP statuses, and problem+json (RFC 9457) rendering.

Every 4xx and 5xx the app sends is a problem document with a stable ``code``; validation failures
add ``errors: [{field, message}]``. Unexpected exceptions become a bare 500 ``internal`` problem
(see ``api.middleware``), logged here and never shown to the client.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, Final

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ExceptionHandler

from api._responses import ProblemResponse
from core.errors import (
    Conflict,
    Forbidden,
    InvalidCursor,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    TickertoneError,
    Unauthorized,
    Unavailable,
)

PROBLEM_TYPE_PREFIX: Final = "urn:tickertone:problem:"


class MalformedRequest(InvalidInput):
    """The request cannot be parsed at all (bad JSON, bad UTF-8, wrong content type, unknown parameter)."""

    code = "malformed_request"


# Most specific first: the first class the exception is an instance of decides the status.
STATUS: Final[tuple[tuple[type[TickertoneError], int], ...]] = (
    (MalformedRequest, 400),
    (InvalidCursor, 400),
    (InvalidInput, 422),
    (NotFound, 404),
    (Conflict, 409),
    (Unauthorized, 401),
    (Forbidden, 403),
    (RateLimited, 429),
    (PayloadTooLarge, 413),
    (Unavailable, 503),
)

# Starlette's own HTTP exceptions (routing, body limit) get codes in the same vocabulary.
HTTP_CODES: Final[Mapping[int, str]] = {
    400: "malformed_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def status_of(exc: TickertoneError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def problem(
    request: Request | None,
    *,
    status: int,
    code: str,
    detail: str,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": f"{PROBLEM_TYPE_PREFIX}{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if request is not None:
        body["instance"] = request.url.path
    if extra:
        body.update(extra)
    return ProblemResponse(body, status_code=status, headers=dict(headers or {}))


def _retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


def problem_for(request: Request | None, exc: TickertoneError) -> Response:
    status = status_of(exc)
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if isinstance(exc, RateLimited | Unavailable):
        headers["Retry-After"] = _retry_after(exc.retry_after)
    if isinstance(exc, InvalidInput):
        errors = exc.details.get("errors")
        if isinstance(errors, list):
            extra["errors"] = errors
        elif exc.field is not None:
            extra["errors"] = [{"field": exc.field, "message": exc.message}]
        if "unknown" in exc.details:
            extra["unknown"] = exc.details["unknown"]
    return problem(request, status=status, code=exc.code, detail=exc.message, headers=headers, extra=extra)


async def tickertone_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TickertoneError)
    return problem_for(request, exc)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(exc.status_code, "error" if exc.status_code < 500 else "internal")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Starlette's Allow names only the first route on the path; a path split over routes needs all.
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    return problem(request, status=exc.status_code, code=code, detail=exc.detail, headers=headers or None)


def _allowed_methods(request: Request) -> str:
    methods: set[str] = set()
    for route in getattr(request.app, "routes", ()):
        if isinstance(route, Route) and route.methods and route.path_regex.match(request.url.path):
            methods |= route.methods
    return ", ".join(sorted(methods))


EXCEPTION_HANDLERS: Final[Mapping[Any, ExceptionHandler]] = {
    TickertoneError: tickertone_error,
    HTTPException: http_error,
}
