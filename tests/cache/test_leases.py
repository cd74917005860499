"""Rate-limit leases: a fast key's units are charged in Redis ahead of use and spent with no round
trip, and the limit shared by every process still holds."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from cache.pipelined import PipelinedRedis, connect_url
from cache.ratelimit import LEASE_MIN_UNITS, LEASE_S, RateLimiter, lease_size, limiter_key


@pytest_asyncio.fixture
async def clients(redis_url: str) -> AsyncIterator[tuple[PipelinedRedis, PipelinedRedis, Redis]]:
    """Two API processes' hot-path clients and an observer."""
    first, second = connect_url(redis_url), connect_url(redis_url)
    assert first is not None and second is not None
    observer = Redis.from_url(redis_url)
    yield first, second, observer
    await first.aclose()
    await second.aclose()
    await observer.aclose()


def test_only_keys_fast_enough_lease() -> None:
    assert lease_size(limit=600, window_s=60) == 0  # the partner default: every charge asks Redis
    slowest = int(LEASE_MIN_UNITS / LEASE_S * 60)
    assert lease_size(limit=slowest, window_s=60) == LEASE_MIN_UNITS
    assert lease_size(limit=slowest - 60, window_s=60) == 0
    assert lease_size(limit=1_000_000, window_s=60) == int(1_000_000 / 60 * LEASE_S)


@pytest.fixture
def one(clients: tuple[PipelinedRedis, PipelinedRedis, Redis]) -> tuple[RateLimiter, Redis, str]:
    """One process' limiter, the observer, and a fresh key name."""
    client, _, observer = clients
    return RateLimiter(client), observer, f"key-{uuid.uuid4().hex}"


async def test_a_lease_pays_without_redis_and_is_charged_there_first(
    one: tuple[RateLimiter, Redis, str],
) -> None:
    limiter, observer, name = one
    limit, window_s = 60_000, 60.0
    lease = lease_size(limit=limit, window_s=window_s)
    assert lease == 100

    first = await limiter.charge(name, limit=limit, window_s=window_s, cost=1)
    assert first.allowed and first.remaining == limit - 1 - lease
    tat = await observer.get(limiter_key(name))
    for n in range(1, lease + 1):
        paid = await limiter.charge(name, limit=limit, window_s=window_s, cost=1)
        assert paid.allowed and paid.remaining == first.remaining + lease - n
    assert await observer.get(limiter_key(name)) == tat, "a leased unit must not cost a Redis call"
    await limiter.charge(name, limit=limit, window_s=window_s, cost=1)  # the lease is spent: Redis again
    assert await observer.get(limiter_key(name)) != tat


async def test_a_slow_key_asks_redis_every_time(one: tuple[RateLimiter, Redis, str]) -> None:
    limiter, observer, name = one
    seen = set()
    for _ in range(5):
        decision = await limiter.charge(name, limit=600, window_s=60, cost=1)
        assert decision.allowed
        seen.add(await observer.get(limiter_key(name)))
    assert len(seen) == 5


@pytest.mark.parametrize("cost", [1, 7])
async def test_two_processes_leasing_never_exceed_the_shared_limit(
    clients: tuple[PipelinedRedis, PipelinedRedis, Redis], cost: int
) -> None:
    first, second, _ = clients
    limiters = [RateLimiter(first), RateLimiter(second)]
    name = f"shared-{uuid.uuid4().hex}"
    limit, window_s = 6_000, 60.0  # leases of 10 units
    allowed = [0, 0]
    refused = [False, False]
    start = time.monotonic()
    turn = 0
    while not all(refused):
        turn = 1 - turn
        if refused[turn]:
            continue
        decision = await limiters[turn].charge(name, limit=limit, window_s=window_s, cost=cost)
        if decision.allowed:
            allowed[turn] += cost
        else:
            refused[turn] = True
    refill = (time.monotonic() - start) * limit / window_s
    total = sum(allowed)
    assert total <= limit + refill + cost, (allowed, refill)
    # What the lapsing leases can strand: at most one lease (and one request's cost) per process.
    assert total >= limit - 2 * (lease_size(limit=limit, window_s=window_s) + cost), allowed
    assert min(allowed) > 0
