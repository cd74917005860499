"""Twice a key's limit as plain requests, alias-packed GraphQL and batches: at most limit (+burst) pass."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from redis.asyncio import Redis

from api.app import create_app
from cache.ratelimit import LocalGcra, RateLimiter
from core.settings import Settings
from tests.api.conftest import serve
from tests.api.contract import Contract, load_spec
from tests.auth.conftest import MakeKey

LIMIT = 20
CONTRACT = Contract(load_spec())


def _aliases(n: int) -> dict[str, str]:
    return {"query": "{ " + " ".join(f"a{i}: sentimentScale {{ label }}" for i in range(n)) + " }"}


def _outcome(responses: list[httpx.Response]) -> tuple[int, int]:
    ok = sum(r.status_code == 200 for r in responses)
    limited = [r for r in responses if r.status_code == 429]
    for r in limited:
        assert int(r.headers["Retry-After"]) >= 1
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "rate_limited"
        # The budget is visible on the refusal too: nothing left, and when it is full again.
        assert r.headers["RateLimit-Policy"] == f'"default";q={LIMIT};w=60'
        assert r.headers["RateLimit"].startswith('"default";r=0;t=')
        CONTRACT.check(r.request.method, r.request.url.path, 429, r.headers["content-type"], r.content)
    assert ok + len(limited) == len(responses), [r.status_code for r in responses]
    return ok, len(limited)


async def test_plain_requests(bare: httpx.AsyncClient, make_key: MakeKey) -> None:
    key = await make_key(["read"], rate=LIMIT)
    other = await make_key(["read"], rate=LIMIT)
    headers = {"X-API-Key": key}
    responses = [await bare.get("/v1/meta/sentiment-scale", headers=headers) for _ in range(2 * LIMIT)]
    ok, limited = _outcome(responses)
    # Burst capacity is the limit; refill during the test may add one more.
    assert LIMIT <= ok <= LIMIT + 1 and limited >= LIMIT - 1
    first = responses[0]
    assert first.headers["RateLimit-Policy"] == f'"default";q={LIMIT};w=60'
    assert first.headers["RateLimit"].startswith(f'"default";r={LIMIT - 1};')
    # Another key is untouched.
    assert (await bare.get("/v1/meta/sentiment-scale", headers={"X-API-Key": other})).status_code == 200


async def test_alias_packed_graphql(bare: httpx.AsyncClient, make_key: MakeKey) -> None:
    key = await make_key(["read"], rate=LIMIT)
    headers = {"X-API-Key": key}
    # 2 x limit root fields, five aliases per request: only limit/5 requests can pass.
    responses = [
        await bare.post("/graphql", json=_aliases(5), headers=headers) for _ in range(2 * LIMIT // 5)
    ]
    ok, limited = _outcome(responses)
    assert ok * 5 <= LIMIT + 1 and limited >= LIMIT // 5 - 1
    # One budget per key: GraphQL spent it, so REST is refused too; another key's aliases still pass.
    rest = await bare.get("/v1/meta/sentiment-scale", headers=headers)
    assert rest.status_code == 429
    other = await bare.post(
        "/graphql", json=_aliases(5), headers={"X-API-Key": await make_key(["read"], rate=LIMIT)}
    )
    assert other.status_code == 200 and not other.json().get("errors"), other.text
    # An operation costing more than the whole budget can never pass: 422, not a 429 to retry.
    too_big = await bare.post("/graphql", json=_aliases(LIMIT + 1), headers=headers)
    assert too_big.status_code == 422 and too_big.json()["code"] == "cost_exceeds_limit"


async def test_batches(bare: httpx.AsyncClient, make_key: MakeKey) -> None:
    key = await make_key(["read"], rate=LIMIT)
    headers = {"X-API-Key": key}
    batch = [{"query": "{ sentimentScale { label } }"} for _ in range(4)]
    responses = [await bare.post("/graphql", json=batch, headers=headers) for _ in range(2 * LIMIT // 4)]
    # Whether the GraphQL layer accepts batches or not (400), each one was charged 4 units first.
    passed = [r for r in responses if r.status_code != 429]
    limited = [r for r in responses if r.status_code == 429]
    assert len(passed) * 4 <= LIMIT + 1 and len(limited) >= LIMIT // 4 - 1
    assert all(r.headers.get("Retry-After") for r in limited)
    other = await bare.post(
        "/graphql", json=batch, headers={"X-API-Key": await make_key(["read"], rate=LIMIT)}
    )
    assert other.status_code != 429, other.text


async def test_concurrent_requests_do_not_overspend(bare: httpx.AsyncClient, make_key: MakeKey) -> None:
    key = await make_key(["read"], rate=LIMIT)
    headers = {"X-API-Key": key}
    responses = await asyncio.gather(
        *(bare.get("/v1/meta/sentiment-scale", headers=headers) for _ in range(2 * LIMIT))
    )
    ok, _ = _outcome(list(responses))
    assert ok <= LIMIT + 1


async def test_redis_down_falls_back_to_a_local_limit() -> None:
    # Nothing listens on port 1: every call fails fast and the in-process GCRA takes over.
    redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2, retry=None)
    limiter = RateLimiter(redis)
    decisions = [await limiter.charge("down", limit=5, window_s=60, cost=1) for _ in range(10)]
    await redis.aclose()
    assert all(d.degraded for d in decisions)
    # Never followed in Redis, so its budget may be spent there: one request, then the steady rate.
    assert [d.allowed for d in decisions] == [True] + [False] * 9
    assert all(d.retry_after == pytest.approx(12, abs=0.5) for d in decisions[1:])


@pytest.mark.parametrize("cost", [1, 3])
def test_local_gcra_refills_at_the_emission_rate(cost: int) -> None:
    local = LocalGcra()
    assert local.charge("k", limit=6, window_s=60, cost=1).allowed
    refused = local.charge("k", limit=6, window_s=60, cost=cost)
    assert not refused.allowed
    # One unit returns every 10 s; a cost of 3 needs 30 s.
    assert refused.retry_after == pytest.approx(10 * cost, abs=0.5)


@pytest.mark.parametrize("path", ["/v1/meta/sentiment-scale", "/v1/tickers"])
async def test_redis_down_the_app_still_limits(settings: Settings, make_key: MakeKey, path: str) -> None:
    # Nothing listens on port 1: the response cache and the limiter both find Redis down.
    down = settings.model_copy(update={"redis_url": type(settings.redis_url)("redis://127.0.0.1:1/0")})
    headers = {"X-API-Key": await make_key(["read"], rate=5)}
    async with serve(create_app(down)) as client:
        responses = [await client.get(path, headers=headers) for _ in range(10)]
    statuses = [r.status_code for r in responses]
    # This process never saw the key in Redis: one request, then the steady rate (one per 12 s).
    assert statuses == [200] + [429] * 9, statuses
    assert all(int(r.headers["Retry-After"]) >= 1 for r in responses if r.status_code == 429)
    assert all(r.headers["RateLimit-Policy"] == '"default";q=5;w=60' for r in responses)


async def test_a_fallback_continues_from_the_keys_redis_state(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    limiter = RateLimiter(redis)
    name = f"follow-{uuid.uuid4().hex}"
    try:
        spent = [await limiter.charge(name, limit=6, window_s=60, cost=1) for _ in range(6)]
    finally:
        await redis.aclose()
    assert all(d.allowed and not d.degraded for d in spent)
    # Redis slow or gone now: the in-process twin knows the budget is spent and gives no second burst.
    refused = limiter.local.charge(name, limit=6, window_s=60, cost=1)
    assert not refused.allowed and refused.retry_after == pytest.approx(10, abs=0.5)
    # A key it never followed may be spent in Redis too: one request, not a burst.
    unknown = f"never-seen-{uuid.uuid4().hex}"
    assert limiter.local.charge(unknown, limit=6, window_s=60, cost=1).allowed
    assert not limiter.local.charge(unknown, limit=6, window_s=60, cost=1).allowed
