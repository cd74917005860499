"""LISTEN on a dedicated connection that reconnects: the worker's job wake-ups, the API's lost-bump alarms."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg

from db.pool import CONNECTION_ERRORS

log = logging.getLogger(__name__)

# A half-open TCP connection (peer gone without a FIN) never reports itself; a probe query does.
_PROBE_EVERY_S = 10.0
_PROBE_TIMEOUT_S = 5.0


async def listen(
    dsn: str,
    *,
    channel: str,
    on_notify: Callable[[], None],
    on_connect: Callable[[int], None],
    stopping: asyncio.Event,
) -> None:
    """Call ``on_notify`` for every notification on ``channel`` until ``stopping`` is set, and
    ``on_connect(n)`` each time the n-th connection starts listening (notifications sent while none was
    are lost); never raises for a lost server."""
    backoff = 0.2
    connections = 0
    while not stopping.is_set():
        conn: asyncpg.Connection | None = None
        try:
            conn = await asyncpg.connect(dsn, timeout=5)
            lost = asyncio.Event()
            conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
            await conn.add_listener(channel, lambda *_args: on_notify())
            connections += 1
            on_connect(connections)
            backoff = 0.2
            while not stopping.is_set() and not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(_first(lost, stopping), _PROBE_EVERY_S)
                if not stopping.is_set() and not lost.is_set():
                    await conn.execute("select 1", timeout=_PROBE_TIMEOUT_S)
            if lost.is_set():
                log.warning("LISTEN connection lost; reconnecting")
        except (*CONNECTION_ERRORS, TimeoutError, asyncpg.PostgresError) as exc:
            log.warning("LISTEN connection failed (%s); retrying in %.1fs", type(exc).__name__, backoff)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), backoff)
            backoff = min(backoff * 2, 5.0)
        finally:
            if conn is not None:
                conn.terminate()


async def _first(*events: asyncio.Event) -> None:
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
