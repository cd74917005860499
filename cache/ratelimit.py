"""GCRA rate limiting: one Lua script in Redis for all processes, an in-process twin for outages.

GCRA (the generic cell rate algorithm) keeps one number per key, the theoretical arrival time
(TAT). A request of cost ``c`` is allowed when ``TAT + c*T - burst*T <= now``, with ``T`` the
emission interval (window / limit). It is exact, needs no sorted sets, and a cost > 1 (a GraphQL
operation's cost) is a single atomic step. The script reads Redis' own clock, so replicas with
drifting clocks still share one timeline.

When Redis cannot be reached the limiter degrades to the same algorithm in process memory
(``LocalGcra``). That is a deliberate trade: each API process then enforces the limit on its own,
so a key may get up to ``replicas x limit`` during an outage, but it is never unlimited and never
fails the request. A short breaker keeps a dead Redis from adding its timeout to every call.

The twin follows every answer Redis gives (``observe``), so a fallback continues from the key's
last known budget. A key it has not followed starts with one request and the steady rate, its burst
refilling over one window: Redis may hold that key's budget as spent, and a Redis that is merely
slow under load (a deadline, not an outage) must not hand every busy key a second full burst.

A fast key (``LEASE_MIN_UNITS`` or more per ``LEASE_S``) leases: a charge that reaches Redis also
takes ``LEASE_S`` worth of the key's rate when the budget has it, and the process spends those units
with no round trip (``Leases``), so a cache hit for a busy key costs no I/O. Every unit is charged in
Redis before it is spent, so the shared limit holds; a lease spent late (up to one window) can let a
key exceed its rate by at most one lease per process, and an idle process' lease lapses unspent.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from cache.keys import PREFIX
from cache.pipelined import PipelinedRedis

log = logging.getLogger(__name__)

# KEYS[1] = the key's TAT; ARGV = interval_ms, burst (units), cost (units), lease (units). Charges
# cost + lease when the budget has it, else cost alone. Sets ``allowed`` and ``result`` = {allowed,
# remaining, retry_after_ms, reset_ms, leased} as strings (Lua numbers truncate to ints).
# A chunk, so ``cache.responses`` can run it in front of a lookup in the same script (one round trip).
GCRA_CHUNK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local lease = tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if lease > 0 and tat + (cost + lease) * interval - burst * interval > now then lease = 0 end
local new_tat = tat + (cost + lease) * interval
local allow_at = new_tat - burst * interval
local allowed = false
local result
if allow_at > now then
  local remaining = math.floor((now - (tat - burst * interval)) / interval)
  result = {'0', tostring(remaining), tostring(allow_at - now), tostring(tat - now), '0'}
else
  redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.max(1, math.ceil(new_tat - now)))
  local remaining = math.floor((now - allow_at) / interval)
  allowed = true
  result = {'1', tostring(remaining), '0', tostring(new_tat - now), tostring(lease)}
end
"""
_GCRA = GCRA_CHUNK + "return result\n"

BREAKER_OPEN_S = 2.0
# A lease is this much of a key's rate, and only keys whose lease would be this many units get one:
# slower keys cost Redis little, and a lease of a unit or two would only blur their limit.
LEASE_S = 0.1
LEASE_MIN_UNITS = 10


# Not frozen: a frozen dataclass sets each field through object.__setattr__, and every request makes one.
@dataclass(slots=True)
class Decision:
    """The outcome of one charge; times in seconds. ``degraded`` is True when Redis was bypassed."""

    allowed: bool
    limit: int
    remaining: int
    retry_after: float
    reset: float
    degraded: bool = False


def limiter_key(name: str) -> str:
    return f"{PREFIX}:rl:{name}"


class LocalGcra:
    """The in-process GCRA used while Redis is away; bounded LRU so idle keys cannot grow it."""

    def __init__(self, *, max_keys: int = 100_000) -> None:
        self._tat: OrderedDict[str, float] = OrderedDict()
        self._max_keys = max_keys

    def charge(self, name: str, *, limit: int, window_s: float, cost: int) -> Decision:
        now = time.monotonic() * 1000
        interval = window_s * 1000 / limit
        known = self._tat.get(name)
        if known is None:
            # Unknown here, perhaps spent in Redis: one request now, then the steady rate. (1 ms of
            # slack so float rounding cannot refuse that one request.)
            known = now + (limit - 1) * interval - 1.0
            self._store(name, known)
        tat = max(known, now)
        new_tat = tat + cost * interval
        allow_at = new_tat - limit * interval
        if allow_at > now:
            remaining = math.floor((now - (tat - limit * interval)) / interval)
            return Decision(
                False, limit, max(0, remaining), (allow_at - now) / 1000, (tat - now) / 1000, True
            )
        self._store(name, new_tat)
        remaining = math.floor((now - allow_at) / interval)
        return Decision(True, limit, max(0, remaining), 0.0, (new_tat - now) / 1000, True)

    def observe(self, name: str, decision: Decision) -> None:
        """Follow Redis: a fallback then continues from the key's last known state, not a fresh burst.

        Without it a Redis that is merely slow under load (the breaker opens on deadlines, not only on
        outages) handed every busy key a second full burst: 39 of 40 concurrent requests passed a
        20/min key.
        """
        self._store(name, time.monotonic() * 1000 + decision.reset * 1000)

    def _store(self, name: str, tat: float) -> None:
        self._tat[name] = tat
        self._tat.move_to_end(name)
        while len(self._tat) > self._max_keys:
            self._tat.popitem(last=False)


def lease_size(*, limit: int, window_s: float) -> int:
    units = int(limit / window_s * LEASE_S)
    return units if units >= LEASE_MIN_UNITS else 0


class _Lease:
    __slots__ = ("granted_at", "remaining", "reset_at", "units")

    def __init__(self, units: int, remaining: int, reset_at: float, granted_at: float) -> None:
        self.units = units
        self.remaining = remaining
        self.reset_at = reset_at
        self.granted_at = granted_at


class Leases:
    """Units charged in Redis ahead of use, per key, spent here; bounded LRU, each lapsing after a window."""

    def __init__(self, *, max_keys: int = 10_000) -> None:
        self._held: OrderedDict[str, _Lease] = OrderedDict()
        self._max_keys = max_keys

    def spend(self, name: str, *, limit: int, window_s: float, cost: int) -> Decision | None:
        """An allowed decision paid from the lease, or None when Redis must be asked."""
        lease = self._held.get(name)
        if lease is None or lease.units < cost:
            return None
        now = time.monotonic()
        if now - lease.granted_at > window_s:
            del self._held[name]
            return None
        lease.units -= cost
        return Decision(True, limit, lease.remaining + lease.units, 0.0, max(0.0, lease.reset_at - now))

    def grant(self, name: str, units: int, decision: Decision) -> None:
        """Keep what a charge leased (``result[4]`` of ``GCRA_CHUNK``) on top of what is left."""
        now = time.monotonic()
        lease = self._held.get(name)
        left = lease.units if lease is not None else 0  # fewer than one request's cost
        self._held[name] = _Lease(left + units, decision.remaining, now + decision.reset, now)
        self._held.move_to_end(name)
        while len(self._held) > self._max_keys:
            self._held.popitem(last=False)


class RateLimiter:
    """Charges ``cost`` units against ``limit`` per ``window_s``; burst capacity equals the limit."""

    def __init__(self, redis: Redis | PipelinedRedis | None) -> None:
        self._redis = redis
        self._script = redis.register_script(_GCRA) if redis is not None else None
        self.local = LocalGcra()
        self.leases = Leases()
        self._open_until = 0.0

    @property
    def degraded(self) -> bool:
        """True while Redis is being skipped after a failure; charges then use ``local``."""
        return self._script is None or time.monotonic() < self._open_until

    def degrade(self, exc: BaseException) -> None:
        self._open_until = time.monotonic() + BREAKER_OPEN_S
        log.warning("rate limiter: Redis unavailable (%s); per-process limits", type(exc).__name__)

    @staticmethod
    def args(*, limit: int, window_s: float, cost: int) -> list[float]:
        """ARGV for ``GCRA_CHUNK``, with the lease a key this fast takes (``lease_size``)."""
        return [window_s * 1000 / limit, limit, cost, lease_size(limit=limit, window_s=window_s)]

    @staticmethod
    def decision(raw: list[bytes | str], *, limit: int) -> Decision:
        """The ``Decision`` a ``GCRA_CHUNK`` result encodes."""
        return Decision(
            allowed=float(raw[0]) == 1,
            limit=limit,
            remaining=max(0, int(float(raw[1]))),
            retry_after=float(raw[2]) / 1000,
            reset=float(raw[3]) / 1000,
        )

    def settle(self, name: str, raw: list[bytes | str], *, limit: int) -> Decision:
        """The decision a ``GCRA_CHUNK`` result encodes, followed by the outage twin, its lease kept."""
        decision = self.decision(raw, limit=limit)
        self.local.observe(name, decision)
        leased = int(raw[4])
        if leased:
            self.leases.grant(name, leased, decision)
        return decision

    async def charge(self, name: str, *, limit: int, window_s: float, cost: int) -> Decision:
        if self._script is not None and not self.degraded:
            paid = self.leases.spend(name, limit=limit, window_s=window_s, cost=cost)
            if paid is not None:
                return paid
            try:
                raw = await self._script(
                    keys=[limiter_key(name)], args=self.args(limit=limit, window_s=window_s, cost=cost)
                )
            except (RedisError, OSError) as exc:
                self.degrade(exc)
            else:
                return self.settle(name, raw, limit=limit)
        return self.local.charge(name, limit=limit, window_s=window_s, cost=cost)
