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
authenticated, rate-limited hit then costs a single Redis round trip in all, and none when the
process holds a current copy (by the generations ``cache.tracking`` keeps) and the caller's rate
limit lease pays for it.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis

from cache import keys
from cache.breaker import FAILURES, UNAVAILABLE, BreakerOpen, CircuitBreaker
from cache.ratelimit import GCRA_CHUNK, Decision, RateLimiter, limiter_key
from cache.store import Cache

log = logging.getLogger(__name__)

# KEYS = generation counters; ARGV[1] = key prefix for this request, ARGV[2] = the key this process
# holds a copy of ('' for none). Returns {2, suffix} when that copy is current (no body crosses the
# wire), {1, body, suffix} on a hit and {0, suffix} on a miss, where suffix is the generation part of
# the key the response lives (or goes) under.
_LOOKUP = """
local gens = {}
if #KEYS > 0 then
  local vals = redis.call('MGET', unpack(KEYS))
  for i = 1, #KEYS do gens[i] = vals[i] or '0' end
end
local suffix = table.concat(gens, '.')
if ARGV[1] .. suffix == ARGV[2] then return {2, suffix} end
local body = redis.call('GET', ARGV[1] .. suffix)
if body then return {1, body, suffix} end
return {0, suffix}
"""

# KEYS[1] = the caller's rate-limit TAT, KEYS[2..] = generation counters; ARGV[1..4] as GCRA_CHUNK,
# ARGV[5] = key prefix, ARGV[6] = the key held here. Returns the GCRA result, then (when allowed)
# what _LOOKUP returns, from result[6] on.
CHARGE_AND_LOOKUP = (
    GCRA_CHUNK
    + """
if not allowed then return result end
local gens = {}
for i = 2, #KEYS do
  gens[i - 1] = redis.call('GET', KEYS[i]) or '0'
end
local suffix = table.concat(gens, '.')
if ARGV[5] .. suffix == ARGV[6] then
  result[6] = 2
  result[7] = suffix
  return result
end
local body = redis.call('GET', ARGV[5] .. suffix)
if body then
  result[6] = 1
  result[7] = body
  result[8] = suffix
else
  result[6] = 0
  result[7] = suffix
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


class LocalCopies:
    """Entries this process has read or built, by key prefix: (versioned key, entry); an LRU bounded in
    count and bytes.

    An entry under a versioned key never goes stale: any write that could change it moves the key. So
    when Redis says the key this process holds is still the current one, the copy is served and the
    body never crosses the wire again (a 7 KB page costs Redis, the socket and the parser as much as
    everything else in a hit).
    """

    def __init__(self, *, max_items: int = 4096, max_bytes: int = 32 << 20) -> None:
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.size = 0
        self._items: OrderedDict[str, tuple[str, Entry]] = OrderedDict()

    def held(self, prefix: str) -> tuple[str, Entry] | None:
        found = self._items.get(prefix)
        if found is not None:
            self._items.move_to_end(prefix)
        return found

    def keep(self, key: str, entry: Entry) -> None:
        prefix = key[: key.rindex(":") + 1]
        old = self._items.pop(prefix, None)
        if old is not None:
            self.size -= len(old[1].body)
        if len(entry.body) > self.max_bytes // 16:
            return  # a few huge pages must not push out everything else
        self._items[prefix] = (key, entry)
        self.size += len(entry.body)
        while len(self._items) > self.max_items or self.size > self.max_bytes:
            _, (_, evicted) = self._items.popitem(last=False)
            self.size -= len(evicted.body)


class ResponseCache:
    def __init__(
        self,
        cache: Cache,
        *,
        ttl_s: int,
        breaker: CircuitBreaker | None = None,
        local_bytes: int = 32 << 20,
        local_hits: bool = True,
    ) -> None:
        self.cache = cache
        self.breaker = breaker or cache.breaker
        self.ttl_s = ttl_s
        self.local = LocalCopies(max_bytes=local_bytes)
        # Generations pushed by Redis: a copy held here is then current without asking (``_current``).
        self.tracker = cache.tracker if local_hits and local_bytes > 0 else None
        if self.tracker is not None:
            self.tracker.start()
        self._redis: Redis = cache.redis
        self._lookup = cache.scripts.register_script(_LOOKUP)
        self._charge_and_lookup = cache.scripts.register_script(CHARGE_AND_LOOKUP)

    async def get(self, digest: str, *, depends_on: Sequence[str]) -> Entry | Miss:
        """A stored entry, or a ``Miss`` telling ``put`` where the response built now belongs.

        Never raises for Redis trouble: a refusing, slow or open-circuited Redis is a plain miss with
        nowhere to store, and the caller reads Postgres.
        """
        if not self.breaker.allows():
            return Miss(key=None)
        prefix = keys.response(digest) + ":"
        if not self.cache.needs_heal and (current := self._current(prefix, depends_on)) is not None:
            return current
        held = self.local.held(prefix)
        args = [prefix, held[0] if held is not None else ""]
        try:
            # An earlier bump lost to an outage must land before any entry is trusted again.
            if self.cache.needs_heal and not await self.breaker.call(self.cache.heal):
                return Miss(key=None)
            token = self.tracker.token() if self.tracker is not None else None
            raw = await self.breaker.call(
                lambda: self._lookup(keys=list(depends_on), args=args), bounded=self.cache.scripts_bounded
            )
        except BreakerOpen:
            return Miss(key=None)
        except FAILURES as exc:
            log.debug("response cache lookup failed: %s", type(exc).__name__)
            return Miss(key=None)
        return self._found(prefix, held, raw, depends_on, token)

    def _current(self, prefix: str, depends_on: Sequence[str]) -> Entry | None:
        """The copy held here when the generations Redis pushed say its key is current: no I/O."""
        tracker = self.tracker
        if tracker is None or not tracker.fresh():
            return None
        suffix = tracker.suffix(depends_on)
        if suffix is None:
            return None
        held = self.local.held(prefix)
        if held is None or held[0] != prefix + suffix:
            return None
        return held[1]

    def _found(
        self,
        prefix: str,
        held: tuple[str, Entry] | None,
        raw: list[Any],
        depends_on: Sequence[str],
        token: int | None,
    ) -> Entry | Miss:
        """What a lookup's reply (``_LOOKUP``'s shape) means: the copy held here, a fetched entry
        (kept here from now on), or where a fresh response goes."""
        kind = raw[0]
        suffix = raw[-1].decode("ascii")
        if token is not None and self.tracker is not None:
            self.tracker.learn(token, depends_on, suffix)
        if kind == 2 and held is not None:
            return held[1]
        if kind == 1:
            entry = Entry.decode(raw[1])
            self.local.keep(prefix + suffix, entry)
            return entry
        return Miss(key=prefix + suffix)

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
        """``limiter.charge`` then, if allowed, ``get``: with no I/O when the caller's lease pays and
        the copy held here is current (``_current``), else in one round trip when Redis is healthy.

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
        paid = limiter.leases.spend(name, limit=limit, window_s=window_s, cost=cost)
        if paid is not None:
            return paid, await self.get(digest, depends_on=depends_on)
        prefix = keys.response(digest) + ":"
        held = self.local.held(prefix)
        args: list[float | str] = [
            *RateLimiter.args(limit=limit, window_s=window_s, cost=cost),
            prefix,
            held[0] if held is not None else "",
        ]
        names = [limiter_key(name), *depends_on]
        token = self.tracker.token() if self.tracker is not None else None
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
        decision = limiter.settle(name, raw, limit=limit)
        if not decision.allowed:
            return decision, None
        return decision, self._found(prefix, held, raw[5:], depends_on, token)

    async def put(self, miss: Miss, entry: Entry) -> None:
        if miss.key is None or not self.breaker.allows():
            return
        key = miss.key
        try:
            await self.breaker.call(lambda: self._redis.set(key, entry.encode(), ex=self.ttl_s))
            self.local.keep(key, entry)
        except UNAVAILABLE as exc:
            log.debug("response cache store failed: %s", type(exc).__name__)
