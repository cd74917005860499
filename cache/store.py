"""Cache generations and notifications over Redis that never block or fail the caller.

Writes bump versioned keys: a cached entry records the generations it was built under, so a bump
makes it unreachable at once. When a bump cannot reach Redis the process remembers it is *dirty* and
bumps the global generation as soon as Redis answers again, before it trusts any cached entry, so an
outage cannot leave a stale score readable after Redis returns. Other processes learn of a lost bump
from ``services.invalidation`` (announced over Postgres) or from their own tracking connection
dropping, and heal the same way (``distrust``).

A bump is acknowledged only after a second round trip (a fence): by then Redis has sent the bump's
invalidation to every process tracking generations (``cache.tracking``), so none of them can answer a
later request from what it knew before the write.

Generations never repeat, even when Redis loses its data (a restart without persistence, a flush): a
counter that does not exist starts from Redis' clock in microseconds, not from 0, so an entry stored
under counters read before the loss can never become reachable again as the new counters climb.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from cache import keys
from cache.breaker import CircuitBreaker
from cache.pipelined import PipelinedRedis
from cache.tracking import GenerationTracker

log = logging.getLogger(__name__)

# KEYS = generation counters to bump. A missing counter first takes the current time in microseconds
# (as an exact string: Lua numbers would print it in %.14g), so it starts above any value it had before.
_BUMP = """
local t = redis.call('TIME')
local base = t[1] .. string.rep('0', 6 - #t[2]) .. t[2]
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], base, 'NX')
  redis.call('INCR', KEYS[i])
end
return #KEYS
"""


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
    def __init__(
        self,
        redis: Redis,
        *,
        breaker: CircuitBreaker | None = None,
        fast: PipelinedRedis | None = None,
        tracker: GenerationTracker | None = None,
    ) -> None:
        self.redis = redis
        # Started by the first reader that wants it (``ResponseCache``): workers never connect it.
        self.tracker = tracker
        if tracker is not None:
            tracker.on_drop = self.distrust
        # The hot path's scripts (rate-limit charge, response lookup) go through ``fast`` when given.
        self.scripts: Redis | PipelinedRedis = fast if fast is not None else redis
        self._fast = fast
        self.dirty = False
        self.healing = False
        # Shared with the response cache: while it is open, a bump is not even tried (it would only
        # wait for a timeout) and is recorded as lost instead, to be healed on recovery.
        self.breaker = breaker or CircuitBreaker(probe=redis.ping)
        if fast is not None:
            # The pipelined client keeps the breaker's deadline itself (``CircuitBreaker.call(bounded=)``).
            fast.timeout_s = self.breaker.settings.call_timeout_s
        self._bump = redis.register_script(_BUMP)

    async def aclose(self) -> None:
        if self.tracker is not None:
            await self.tracker.aclose()
        if self._fast is not None:
            await self._fast.aclose()
        await self.redis.aclose()

    @property
    def scripts_bounded(self) -> bool:
        """Whether calls through ``scripts`` time out on their own at the breaker's deadline."""
        return self._fast is not None

    @property
    def needs_heal(self) -> bool:
        """True while a lost bump has not landed yet; no cached entry may be trusted until it has."""
        return self.dirty or self.healing

    def distrust(self) -> None:
        """A writer somewhere may have lost a bump (Redis went away under this process too, or a writer
        said so): heal before trusting any entry again."""
        if not self.dirty:
            log.info("a cache bump may have been lost; healing before entries are trusted again")
        self.dirty = True

    async def heal(self) -> bool:
        """Bump the global generation if an earlier bump was lost; True when the cache is trustworthy."""
        if not self.needs_heal:
            return True
        if self.healing:
            return False  # another request's heal is in flight: untrusted until it lands
        # Cleared first: a bump lost while this heal is in flight sets it again and is healed later.
        self.dirty = False
        self.healing = True
        try:
            await self.invalidate_all()
        except (RedisError, OSError):
            self.dirty = True
            return False
        except BaseException:
            # Cancelled (the breaker's deadline): the bump may not have landed, so it is still owed.
            self.dirty = True
            raise
        finally:
            self.healing = False
        log.info("cache healed after a Redis outage: global generation bumped")
        return True

    async def invalidate_all(self) -> None:
        """Make every cached response unreachable: lists depend on the global generation, single
        articles on the epoch. Raises Redis' errors: callers decide what a lost bump means."""
        await self._bumped([keys.GLOBAL_GENERATION, keys.EPOCH_GENERATION])

    async def bump_articles(self, *, article_ids: Sequence[int], symbols: Sequence[str]) -> bool:
        """Make every cached entry that may include these articles or tickers unreachable; False when
        the bump was lost (this process heals on recovery; ``services.invalidation`` tells the others)."""
        if not self.breaker.allows():
            self.dirty = True
            log.warning("cache bump skipped, Redis circuit open; will bump the global generation on recovery")
            return False
        try:
            names = [
                keys.GLOBAL_GENERATION,
                *(keys.article_generation(i) for i in article_ids),
                *(keys.ticker_generation(symbol) for symbol in symbols),
            ]
            await self._bumped(names)
        except (RedisError, OSError) as exc:
            self.dirty = True
            log.warning(
                "cache bump lost (%s); will bump the global generation on recovery", type(exc).__name__
            )
            return False
        return True

    async def _bumped(self, names: list[str]) -> None:
        await self._bump(keys=names)
        # The fence: Redis wrote the bump's invalidations out before it read this PING.
        await self.redis.ping()
        if self.tracker is not None:
            self.tracker.forget(names)

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
