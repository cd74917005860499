"""A per-request deadline: no answer started within ``request_timeout_s`` -> 503 problem+json.

A Postgres that is down, restarting or silently dropping packets must cost a client about two seconds
and a ``Retry-After``, never a hang or a 500. The deadline covers the time to the first response byte
only: once a response has started (an SSE stream, say) it is left alone. The 503 goes out at the
deadline itself: the request's task is cancelled and finishes its cleanup in the background (asyncpg
releases a connection stuck on a silent server under a shield, which can take seconds).
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
        # Cancelled requests still cleaning up; referenced so they are not garbage-collected mid-way.
        self._abandoned: set[asyncio.Task[None]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.guard(self.app, scope, receive, send)

    async def guard(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        """Run ``app`` for this HTTP request under the deadline (the hit path guards its own work)."""
        loop = asyncio.get_running_loop()
        # Resolved by whichever comes first: the response starting, the request ending, the deadline.
        wake: asyncio.Future[None] = loop.create_future()
        started = False
        answered = False

        def wake_up(*_args: object) -> None:
            if not wake.done():
                wake.set_result(None)

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if answered:
                return  # we already sent the 503; the late response is dropped
            if message["type"] == "http.response.start":
                started = True
                wake_up()
            await send(message)

        async def run() -> None:
            await app(scope, receive, guarded_send)

        task = asyncio.create_task(run())
        task.add_done_callback(wake_up)
        timer = loop.call_later(self.timeout_s, wake_up)
        try:
            await wake
        except asyncio.CancelledError:
            task.cancel()
            raise
        finally:
            timer.cancel()
        if task.done() or started:
            await task
            return
        answered = True
        task.cancel()
        self._abandoned.add(task)
        task.add_done_callback(self._forget)
        log.warning("deadline of %.1f s passed on %s %s", self.timeout_s, scope["method"], scope["path"])
        response = problem(
            Request(scope),
            status=503,
            code="unavailable",
            detail=f"the request did not complete within {self.timeout_s:g} s; retry shortly",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
        await response(scope, receive, send)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._abandoned.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("request abandoned at its deadline failed: %r", task.exception())
