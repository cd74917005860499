"""After-commit notifications: article.scored on Redis pub/sub, cache bumps, and Redis outages."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit, urlunsplit

import orjson
from redis.asyncio import Redis

from cache import keys
from cache.store import Cache, create_client
from services.deps import Deps
from tests.worker.conftest import SCORER, TICKERS, ingest, make_articles, run_burst, scored_count, wait_until
from tests.worker.fake_scorer import FakeScorer
from tests.worker.proxy import CuttableProxy
from worker.runner import Worker
from worker.scorer import ScorerPool


async def _messages(pubsub: object, *, want: set[int], timeout_s: float) -> dict[int, dict[str, object]]:
    got: dict[int, dict[str, object]] = {}
    deadline = time.monotonic() + timeout_s
    while not want <= got.keys() and time.monotonic() < deadline:
        msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)  # type: ignore[attr-defined]
        if msg is not None:
            payload = orjson.loads(msg["data"])
            got[payload["article_id"]] = payload
    return got


async def test_scored_articles_are_announced_and_their_cache_entries_bumped(
    wdeps: Deps, redis_url: str
) -> None:
    cache = Cache(create_client(redis_url))
    listener = Redis.from_url(redis_url)
    deps = Deps(settings=wdeps.settings, pool=wdeps.pool, cache=cache)
    try:
        async with listener.pubsub() as pubsub:
            await pubsub.subscribe(keys.SCORED_CHANNEL)
            ids = await ingest(deps, make_articles(6))
            await run_burst(deps)
            got = await _messages(pubsub, want=set(ids), timeout_s=3)
        assert set(ids) <= got.keys()
        sample = got[ids[0]]
        assert set(sample) == {"article_id", "tickers", "score", "label", "model"}
        assert sample["model"] and isinstance(sample["tickers"], list)
        assert await listener.exists(*[keys.article_generation(i) for i in ids]) == len(ids)
    finally:
        await listener.aclose()
        await cache.aclose()


def _via(url: str, port: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, f"127.0.0.1:{port}", parts.path, parts.query, ""))


async def test_redis_down_never_blocks_scoring_and_heals_on_return(wdeps: Deps, redis_url: str) -> None:
    target = urlsplit(redis_url)
    proxy = CuttableProxy(target.hostname or "127.0.0.1", target.port or 6379)
    await proxy.start()
    direct = Redis.from_url(redis_url)
    cache = Cache(create_client(_via(redis_url, proxy.port)))
    deps = Deps(settings=wdeps.settings, pool=wdeps.pool, cache=cache)
    pool = ScorerPool(tickers=TICKERS, concurrency=1, mode="thread", path=SCORER)
    await asyncio.get_running_loop().run_in_executor(None, pool.start)
    worker = Worker(deps, pool)
    running = asyncio.create_task(worker.run())
    try:
        await proxy.cut()
        generation_before = int(await direct.get(keys.GLOBAL_GENERATION) or 0)
        async with direct.pubsub() as pubsub:
            await pubsub.subscribe(keys.SCORED_CHANNEL)
            ids = await ingest(deps, make_articles(8))
            started = time.monotonic()

            async def all_scored() -> bool:
                return await scored_count(deps.pool, ids) == 8

            await wait_until(all_scored, timeout_s=10)
            assert time.monotonic() - started < 5, "scoring waited for Redis"
            assert await _messages(pubsub, want=set(ids), timeout_s=0.5) == {}
            assert cache.dirty or worker.notifier.backlog

            await proxy.restore()
            got = await _messages(pubsub, want=set(ids), timeout_s=5)
        # Messages held during the outage are published once Redis answers, and the lost bumps are
        # healed with a global generation bump, so no reader trusts an entry cached before the outage.
        assert set(ids) <= got.keys()
        assert int(await direct.get(keys.GLOBAL_GENERATION) or 0) > generation_before

        async def healed() -> bool:
            return not cache.dirty

        await wait_until(healed, timeout_s=3)
    finally:
        worker.stop()
        await asyncio.wait_for(running, 10)
        pool.shutdown(wait=True)
        await cache.aclose()
        await direct.aclose()
        await proxy.close()


def test_fake_scorer_is_deterministic() -> None:
    from scoring.analysis import ArticleText

    scorer = FakeScorer(TICKERS)
    text = ArticleText("t", "Apple shares rose after results beat estimates.")
    assert scorer.analyze_many([text]) == scorer.analyze_many([text])
