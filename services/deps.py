"""What every use case needs, built once per process in the lifespan and passed to each call."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from cache.pipelined import connect_url
from cache.store import Cache, create_client
from cache.tracking import tracker_for_url
from core.errors import Unavailable
from core.settings import Settings
from db.pool import CONNECTION_ERRORS, create_pool


@dataclass(slots=True)
class Deps:
    settings: Settings
    pool: asyncpg.Pool
    # None means "no Redis at all": reads go straight to Postgres, writes bump nothing.
    cache: Cache | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection; connection-level failures become ``Unavailable`` (503)."""
        try:
            # asyncio.timeout rather than acquire(timeout=): asyncpg's wait_for runs the acquire in a
            # task of its own, a cost on every read.
            async with asyncio.timeout(self.settings.request_timeout_s):
                conn = await self.pool.acquire()
            try:
                yield conn
            finally:
                await self.pool.release(conn)
        except TimeoutError as exc:  # no connection in time, or a statement past command_timeout
            raise Unavailable("database did not answer in time") from exc
        except CONNECTION_ERRORS as exc:
            raise Unavailable(f"database unavailable: {type(exc).__name__}") from exc


@contextlib.asynccontextmanager
async def open_deps(
    settings: Settings, *, min_size: int | None = None, max_size: int | None = None
) -> AsyncIterator[Deps]:
    """Open the pool and the Redis client for one process; close both on exit."""
    pool = await create_pool(
        settings.database_url.get_secret_value(),
        min_size=min_size or settings.db_pool_min,
        max_size=max_size or settings.db_pool_max,
    )
    redis_url = settings.redis_url.get_secret_value()
    cache = Cache(create_client(redis_url), fast=connect_url(redis_url), tracker=tracker_for_url(redis_url))
    try:
        yield Deps(settings=settings, pool=pool, cache=cache)
    finally:
        await cache.aclose()
        await pool.close()
