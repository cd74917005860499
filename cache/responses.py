"""The read-through response cache: stored response bytes under versioned keys, one Redis round trip.

An entry's key is ``tt:resp:<digest>:<g1>.<g2>...`` where ``digest`` names the request (normalised
operation, variables, caller visibility) and ``g1, g2, ...`` are the current values of the generation
counters the response depends on (``tt:gen`` for anything listing articles, ``tt:gen:article:<id>`` for
a single article). A write increments those counters (``Cache.bump_articles``) before it is
acknowledged, so from then on every lookup builds a different key and the old entry is unreachable at
once; it simply expires. Lookup and key construction happen in one Lua script, so a hit costs one round
trip, and a miss returns the generations seen *before* the database was read: a response stored under
them can never be newer-looking than the data it was built from (no stale-set race).

``charge_and_get`` runs the rate limiter's GCRA step in front of the same lookup, in one script: an
authenticated, rate-limited hit then costs a single Redis round trip in all.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from redis.asyncio import Redis

from cache import keys
from cache.breaker import FAILURES, UNAVAILABLE, BreakerOpen, CircuitBreaker
from cache.ratelimit import GCRA_CHUNK, Decision, RateLimiter, limiter_key
from cache.store import Cache

log = logging.getLogger(__name__)

# KEYS = generation counters; ARGV[1] = key prefix for this request. Returns {1, body} on a hit and
# {0, suffix} on a miss, where suffix is the generation part of the key a fresh response goes under.
_LOOKUP = """
local gens = {}
if #KEYS > 0 then
  local vals = redis.call('MGET', unpack(KEYS))
  for i = 1, #KEYS do gens[i] = vals[i] or '0' end
end
local suffix = table.concat(gens, '.')
local body = redis.call('GET', ARGV[1] .. suffix)
if body then return {1, body} end
return {0, suffix}
"""

# KEYS[1] = the caller's rate-limit TAT, KEYS[2..] = generation counters; ARGV[1..3] as GCRA_CHUNK,
# ARGV[4] = key prefix. Returns the GCRA result, then (when allowed) {1, body} or {0, suffix} as _LOOKUP.
_CHARGE_AND_LOOKUP = (
    GCRA_CHUNK
    + """
if not allowed then return result end
local gens = {}
for i = 2, #KEYS do
  gens[i - 1] = redis.call('GET', KEYS[i]) or '0'
end
local suffix = table.concat(gens, '.')
local body = redis.call('GET', ARGV[4] .. suffix)
if body then
  result[5] = 1
  result[6] = body
else
  result[5] = 0
  result[6] = suffix
end
return result
"""
)


@dataclass(frozen=True, slots=True)
class Entry:
    """A stored response: its bytes, the headers that belong to it, and its strong validator (``ETag``)."""

    etag: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()

    def encode(self) -> bytes:
        return b"\n".join((self.etag.encode("ascii"), orjson.dumps(self.headers), self.body))

    @classmethod
    def decode(cls, raw: bytes) -> Entry:
        etag, headers, body = raw.split(b"\n", 2)
        # GraphQL entries keep no headers: skip the JSON round trip on the hottest path.
        pairs = () if headers == b"[]" else tuple((str(k), str(v)) for k, v in orjson.loads(headers))
        return cls(etag=etag.decode("ascii"), body=body, headers=pairs)

    @classmethod
    def of(cls, body: bytes, headers: tuple[tuple[str, str], ...] = ()) -> Entry:
        return cls(etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"', body=body, headers=headers)


@dataclass(frozen=True, slots=True)
class Miss:
    """Where a freshly built response may be stored; ``None`` when Redis was not consulted."""

    key: str | None


def request_digest(*parts: bytes | str) -> str:
    """sha256 over length-prefixed parts, so ("ab", "c") and ("a", "bc") never collide."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


class ResponseCache:
    def __init__(self, cache: Cache, *, ttl_s: int, breaker: CircuitBreaker | None = None) -> None:
        self.cache = cache
        self.breaker = breaker or cache.breaker
        self.ttl_s = ttl_s
        self._redis: Redis = cache.redis
        self._lookup = cache.scripts.register_script(_LOOKUP)
        self._charge_and_lookup = cache.scripts.register_script(_CHARGE_AND_LOOKUP)

    async def get(self, digest: str, *, depends_on: Sequence[str]) -> Entry | Miss:
        """A stored entry, or a ``Miss`` telling ``put`` where the response built now belongs.

        Never raises for Redis trouble: a refusing, slow or open-circuited Redis is a plain miss with
        nowhere to store, and the caller reads Postgres.
        """
        if not self.breaker.allows():
            return Miss(key=None)
        prefix = keys.response(digest) + ":"
        try:
            # An earlier bump lost to an outage must land before any entry is trusted again.
            if self.cache.needs_heal and not await self.breaker.call(self.cache.heal):
                return Miss(key=None)
            found, value = await self.breaker.call(
                lambda: self._lookup(keys=list(depends_on), args=[prefix]), bounded=self.cache.scripts_bounded
            )
        except BreakerOpen:
            return Miss(key=None)
        except FAILURES as exc:
            log.debug("response cache lookup failed: %s", type(exc).__name__)
            return Miss(key=None)
        if found:
            return Entry.decode(value)
        return Miss(key=prefix + value.decode("ascii"))

    async def charge_and_get(
        self,
        limiter: RateLimiter,
        name: str,
        *,
        limit: int,
        window_s: float,
        cost: int,
        digest: str,
        depends_on: Sequence[str],
    ) -> tuple[Decision, Entry | Miss | None]:
        """``limiter.charge`` then, if allowed, ``get``: in one round trip when Redis is healthy.

        The lookup result is ``None`` when the charge was refused (nothing was looked up). While the
        breaker is open or the limiter has just seen Redis fail, the charge is counted in process
        (``LocalGcra``) without trying Redis, and the lookup degrades to a miss with nowhere to store:
        during an outage no request waits on Redis, and the breaker's background probe finds it again.
        """
        if limiter.degraded or not self.breaker.allows() or self.cache.needs_heal:
            if self.breaker.allows():
                # A lost bump must land before any entry is trusted: ``get`` heals, in its own trip.
                decision = await limiter.charge(name, limit=limit, window_s=window_s, cost=cost)
            else:
                # Redis failed us a moment ago: count in process, and let no request wait on Redis.
                decision = limiter.local.charge(name, limit=limit, window_s=window_s, cost=cost)
            if not decision.allowed:
                return decision, None
            return decision, await self.get(digest, depends_on=depends_on)
        prefix = keys.response(digest) + ":"
        args: list[float | str] = [*RateLimiter.args(limit=limit, window_s=window_s, cost=cost), prefix]
        names = [limiter_key(name), *depends_on]
        try:
            raw = await self.breaker.call(
                lambda: self._charge_and_lookup(keys=names, args=args), bounded=self.cache.scripts_bounded
            )
        except UNAVAILABLE as exc:
            if not isinstance(exc, BreakerOpen):
                limiter.degrade(exc)
            # Whether or not Redis counted it, this process does (from the key's last Redis state).
            decision = limiter.local.charge(name, limit=limit, window_s=window_s, cost=cost)
            return decision, (Miss(key=None) if decision.allowed else None)
        decision = RateLimiter.decision(raw, limit=limit)
        limiter.local.observe(name, decision)
        if not decision.allowed:
            return decision, None
        if raw[4]:
            return decision, Entry.decode(raw[5])
        return decision, Miss(key=prefix + raw[5].decode("ascii"))

    async def put(self, miss: Miss, entry: Entry) -> None:
        if miss.key is None or not self.breaker.allows():
            return
        key = miss.key
        try:
            await self.breaker.call(lambda: self._redis.set(key, entry.encode(), ex=self.ttl_s))
        except UNAVAILABLE as exc:
            log.debug("response cache store failed: %s", type(exc).__name__)
