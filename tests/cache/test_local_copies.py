"""Local copies of cached responses: served only while Redis says their versioned key is current."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from cache import keys
from cache.pipelined import PipelinedRedis, connect_url
from cache.responses import Entry, LocalCopies, Miss, ResponseCache
from cache.store import Cache, create_client
from core.settings import Settings
from services.deps import Deps
from services.reads_cache import reads_cache


@pytest_asyncio.fixture
async def cache(redis_url: str) -> AsyncIterator[Cache]:
    made = Cache(create_client(redis_url), fast=connect_url(redis_url))
    yield made
    await made.aclose()


def _entry(size: int, fill: bytes = b"x") -> Entry:
    return Entry.of(fill * size)


def test_copies_are_bounded_by_count_and_bytes() -> None:
    copies = LocalCopies(max_items=3, max_bytes=3_200)
    for n in range(5):
        copies.keep(f"tt:resp:d{n}:1", _entry(100))
    assert copies.held("tt:resp:d0:") is None and copies.held("tt:resp:d1:") is None
    assert copies.held("tt:resp:d4:") is not None
    copies.keep("tt:resp:big:1", _entry(60))  # a fourth item: the oldest goes
    assert copies.held("tt:resp:d2:") is None
    copies.keep("tt:resp:d3:2", _entry(50))  # a newer version replaces the older one
    held = copies.held("tt:resp:d3:")
    assert held is not None and held[0] == "tt:resp:d3:2"
    copies.keep("tt:resp:huge:1", _entry(201))  # over max_bytes / 16: never kept
    assert copies.held("tt:resp:huge:") is None
    by_bytes = LocalCopies(max_items=100, max_bytes=1_600)
    for n in range(20):
        by_bytes.keep(f"tt:resp:b{n}:1", _entry(100))
    assert by_bytes.size == 1_600
    assert by_bytes.held("tt:resp:b3:") is None and by_bytes.held("tt:resp:b4:") is not None


async def test_a_current_copy_is_served_without_the_body_crossing_the_wire(
    cache: Cache, monkeypatch: pytest.MonkeyPatch
) -> None:
    responses = ResponseCache(cache, ttl_s=60)
    digest = uuid.uuid4().hex
    gen = keys.article_generation(10**9 + 7)
    first = await responses.get(digest, depends_on=[gen])
    assert isinstance(first, Miss) and first.key is not None
    stored = _entry(7_000, b"a")
    await responses.put(first, stored)

    replies: list[Any] = []
    original = PipelinedRedis.execute

    async def recording(self: PipelinedRedis, *args: Any) -> Any:
        reply = await original(self, *args)
        replies.append(reply)
        return reply

    monkeypatch.setattr(PipelinedRedis, "execute", recording)
    assert await responses.get(digest, depends_on=[gen]) == stored
    assert replies[-1][0] == 2 and len(replies[-1]) == 2  # "still current": no body in the reply

    # Another process (its own copies) fetches the body once, then holds it too.
    other = ResponseCache(cache, ttl_s=60)
    assert await other.get(digest, depends_on=[gen]) == stored
    assert replies[-1][0] == 1 and replies[-1][1].endswith(stored.body)
    assert await other.get(digest, depends_on=[gen]) == stored
    assert replies[-1][0] == 2

    # A write moves the key: neither process may serve its copy any more.
    await cache.bump_articles(article_ids=[10**9 + 7], symbols=[])
    for reader in (responses, other):
        after = await reader.get(digest, depends_on=[gen])
        assert isinstance(after, Miss) and after.key != first.key


async def test_charge_and_get_uses_copies_too(cache: Cache) -> None:
    from cache.ratelimit import RateLimiter

    responses = ResponseCache(cache, ttl_s=60)
    limiter = RateLimiter(cache.scripts)
    digest = uuid.uuid4().hex
    gen = keys.article_generation(10**9 + 8)
    name = f"test-{uuid.uuid4().hex[:8]}"

    async def read() -> Entry | Miss | None:
        decision, found = await responses.charge_and_get(
            limiter, name, limit=1_000, window_s=60, cost=1, digest=digest, depends_on=[gen]
        )
        assert decision.allowed
        return found

    miss = await read()
    assert isinstance(miss, Miss)
    stored = _entry(3_000, b"b")
    await responses.put(miss, stored)
    assert await read() == stored
    await cache.bump_articles(article_ids=[10**9 + 8], symbols=[])
    assert isinstance(await read(), Miss)


async def test_the_budget_comes_from_settings(settings: Settings, pool: asyncpg.Pool) -> None:
    for megabytes in (0, 5):
        tuned = settings.model_copy(update={"response_cache_local_mb": megabytes})
        responses = reads_cache(
            Deps(settings=tuned, pool=pool, cache=Cache(create_client("redis://x")))
        ).responses
        assert responses is not None and responses.local.max_bytes == megabytes << 20
    off = LocalCopies(max_bytes=0)
    off.keep("tt:resp:d:1", _entry(10))
    assert off.held("tt:resp:d:") is None
