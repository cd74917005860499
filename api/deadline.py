"""A per-request deadline: no answer started within ``request_timeout_s`` -> 503 problem+json.

A Postgres that is down, restarting or silently dropping packets must cost a client about two seconds
and a ``Retry-After``, never a hang or a 500. The deadline covers the time to the first response byte
only: once a response has started (an SSE stream, say) it is left alone.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem

log = logging.getLogger("api.deadline")

RETRY_AFTER_S = 1


class DeadlineMiddleware:
    def __init__(self, app: ASGIApp, *, timeout_s: float) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        deadline = asyncio.timeout(self.timeout_s)

        async def send_started(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                deadline.reschedule(None)
            await send(message)

        try:
            async with deadline:
                await self.app(scope, receive, send_started)
        except TimeoutError:
            # Our own deadline only; a TimeoutError raised inside is someone else's to map.
            if not deadline.expired() or started:
                raise
            log.warning("deadline of %.1f s passed on %s %s", self.timeout_s, scope["method"], scope["path"])
            response = problem(
                Request(scope),
                status=503,
                code="unavailable",
                detail=f"the request did not complete within {self.timeout_s:g} s; retry shortly",
                headers={"Retry-After": str(RETRY_AFTER_S)},
            )
            await response(scope, receive, send)
