"""Pure-ASGI guards around the whole app: no unhandled exception and no oversized body escapes as non-problem.

Later layers (caching, authentication, rate limits) slot in between these guards and the router;
see ``api.app.middleware``.
"""

from __future__ import annotations

import logging

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem, problem_for
from core.errors import PayloadTooLarge

log = logging.getLogger("api")


class CatchAllMiddleware:
    """Unexpected exceptions -> 500 problem+json, code ``internal``; the traceback goes to the log only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                # Half a response is on the wire; only the server can abort the connection now.
                raise
            await internal_error(scope, receive, send)


async def internal_error(scope: Scope, receive: Receive, send: Send) -> None:
    """The 500 problem+json for an unexpected exception (already logged by the caller)."""
    response = problem(
        Request(scope),
        status=500,
        code="internal",
        detail="The server failed to handle this request; it has been logged.",
    )
    await response(scope, receive, send)


class BodyLimitMiddleware:
    """Request bodies over ``max_body_size`` bytes -> 413 problem+json, declared or streamed.

    A declared ``Content-Length`` is refused before a byte is read; a chunked body is cut off as soon as
    it crosses the limit, whoever reads it (an endpoint, or a middleware hashing it). This replaces
    Starlette's ``max_body_size``, whose 413 is plain text and which rewrites any response sent while
    an oversized ``Content-Length`` is pending.
    """

    def __init__(self, app: ASGIApp, *, max_body_size: int) -> None:
        self.app = app
        self.max_body_size = max_body_size

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"request body is limited to {self.max_body_size} bytes")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_size:
            await problem_for(Request(scope), self._too_large())(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_size:
                    raise self._too_large()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except PayloadTooLarge as exc:
            # Raised outside the router (e.g. a middleware reading the body), so no handler rendered it.
            if started:
                raise
            await problem_for(Request(scope), exc)(scope, receive, send)
