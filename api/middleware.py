"""Pure-ASGI guards around the whole app: no unhandled exception and no oversized body escapes as non-problem.

Later layers (caching, authentication, rate limits) slot in between these guards and the router;
see ``api.app.middleware``.
"""

from __future__ import annotations

import logging

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem

log = logging.getLogger("api")


class CatchAllMiddleware:
    """Unexpected exceptions -> 500 problem+json with code ``internal``; the traceback goes to the log only."""

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
            response = problem(
                Request(scope),
                status=500,
                code="internal",
                detail="The server failed to handle this request; it has been logged.",
            )
            await response(scope, receive, send)


class ContentLengthLimitMiddleware:
    """Refuse a declared ``Content-Length`` over the limit before reading a byte of it.

    Starlette's ``max_body_size`` still guards chunked bodies as they are read; this catches bodies
    sent to endpoints that never read them, which Starlette would answer with a plain-text 413.
    """

    def __init__(self, app: ASGIApp, *, max_body_size: int) -> None:
        self.app = app
        self.max_body_size = max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            declared = Headers(scope=scope).get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > self.max_body_size:
                response = problem(
                    Request(scope),
                    status=413,
                    code="payload_too_large",
                    detail=f"request body is limited to {self.max_body_size} bytes",
                    headers={"Connection": "close"},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
