"""Readiness: can this process reach Postgres (required) and Redis (optional, reads fall back)?"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal

from core.errors import Unavailable
from db.pool import CONNECTION_ERRORS, ping
from services.deps import Deps

# Whatever means "Postgres did not answer": report it as down instead of failing the probe.
_DOWN: tuple[type[BaseException], ...] = (Unavailable, TimeoutError, *CONNECTION_ERRORS)

Component = Literal["ok", "down", "disabled"]


@dataclass(frozen=True, slots=True)
class Readiness:
    postgres: Component
    redis: Component


async def _postgres(deps: Deps) -> Component:
    try:
        async with deps.connection() as conn:
            await ping(conn, timeout_s=deps.settings.request_timeout_s)
    except _DOWN:
        return "down"
    return "ok"


async def _redis(deps: Deps) -> Component:
    if deps.cache is None:
        return "disabled"
    return "ok" if await deps.cache.ping() else "down"


async def readiness(deps: Deps) -> Readiness:
    postgres, redis = await asyncio.gather(_postgres(deps), _redis(deps))
    return Readiness(postgres=postgres, redis=redis)
