"""Cache generations and notifications over Redis that never block or fail the caller.

Writes bump versioned keys: a cached entry records the generations it was built under, so a bump
makes it unreachable at once. When a bump cannot reach Redis the process remembers it is *dirty* and
bumps the global generation as soon as Redis answers again, before it trusts any cached entry, so an
outage cannot leave a stale score readable after Redis returns.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from cache import keys
from cache.breaker import CircuitBreaker

log = logging.getLogger(__name__)


def create_client(url: str, *, timeout_s: float = 0.25) -> Redis:
    # Short timeouts and no retries: a slow Redis must cost a read milliseconds, not seconds.
    return Redis.from_url(
        url,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        retry_on_timeout=False,
        retry=None,
        health_check_interval=0,
    )


class Cache:
    def __init__(self, redis: Redis, *, breaker: CircuitBreaker | None = None) -> None:
        self.redis = redis
        self.dirty = False
        # Shared with the response cache: while it is open, a bump is not even tried (it would only
        # wait for a timeout) and is recorded as lost instead, to be healed on recovery.
        self.breaker = breaker or CircuitBreaker(probe=redis.ping)

    async def aclose(self) -> None:
        await self.redis.aclose()

    async def heal(self) -> bool:
        """Bump the global generation if an earlier bump was lost; True when the cache is trustworthy."""
        if not self.dirty:
            return True
        # Cleared first: a bump lost while this heal is in flight sets it again and is healed later.
        self.dirty = False
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.incr(keys.GLOBAL_GENERATION)
                pipe.incr(keys.EPOCH_GENERATION)
                await pipe.execute()
        except (RedisError, OSError):
            self.dirty = True
            return False
        log.info("cache healed after a Redis outage: global generation bumped")
        return True

    async def bump_articles(self, *, article_ids: Sequence[int], symbols: Sequence[str]) -> None:
        """Make every cached entry that may include these articles or tickers unreachable."""
        if not self.breaker.allows():
            self.dirty = True
            log.warning("cache bump skipped, Redis circuit open; will bump the global generation on recovery")
            return
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.incr(keys.GLOBAL_GENERATION)
                for article_id in article_ids:
                    pipe.incr(keys.article_generation(article_id))
                for symbol in symbols:
                    pipe.incr(keys.ticker_generation(symbol))
                await pipe.execute()
        except (RedisError, OSError) as exc:
            self.dirty = True
            log.warning(
                "cache bump lost (%s); will bump the global generation on recovery", type(exc).__name__
            )

    async def publish(self, channel: str, payload: object) -> bool:
        try:
            await self.redis.publish(channel, orjson.dumps(payload))
        except (RedisError, OSError) as exc:
            log.warning("publish to %s failed: %s", channel, type(exc).__name__)
            return False
        return True

    async def ping(self) -> bool:
        try:
            return bool(await self.redis.ping())
        except (RedisError, OSError):
            return False
