"""Cache invalidation for every write, and what happens when Redis does not hear of one.

A write bumps the generations of what it changed (``Cache.bump_articles``) before it is acknowledged.
When that bump is lost (Redis unreachable from this process), this process heals once it reaches Redis
again, but other API processes may still reach Redis and serve entries the bump should have hidden. So
a lost bump is also announced over Postgres (``db.invalidations``); every API process follows the
announcements (``follow_lost_bumps``) and heals the cache itself before trusting any entry again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from core.errors import Unavailable
from db import invalidations as db_invalidations
from db.listener import listen
from services.deps import Deps

log = logging.getLogger(__name__)


async def invalidate(deps: Deps, *, article_ids: Sequence[int], symbols: Sequence[str]) -> None:
    """Make cached reads of these articles and tickers unreachable everywhere; never raises."""
    if deps.cache is None or await deps.cache.bump_articles(article_ids=article_ids, symbols=symbols):
        return
    try:
        async with deps.connection() as conn:
            await db_invalidations.announce_lost_bump(conn)
    except Unavailable as exc:
        # Neither Redis nor Postgres: the write itself could not have been committed just now either.
        log.warning("lost cache bump not announced: %s", exc)


async def follow_lost_bumps(deps: Deps, *, stopping: asyncio.Event) -> None:
    """Until ``stopping``: heal this process' cache whenever a writer announces a lost bump, and after
    every reconnection (an announcement may have been sent while nobody here listened)."""
    cache = deps.cache
    if cache is None:
        return

    def reconnected(n: int) -> None:
        if n > 1:
            cache.distrust()

    await listen(
        deps.settings.database_url.get_secret_value(),
        channel=db_invalidations.CHANNEL,
        on_notify=cache.distrust,
        on_connect=reconnected,
        stopping=stopping,
    )
