"""No stale read after an acknowledged write: property tests over real Redis and Postgres.

A read goes through the response cache exactly as a transport does (digest, dependencies, get, build
from Postgres on a miss, put). A write changes Postgres and bumps generations (ingest through the
service, re-scores the way the worker does: update, then ``bump_articles``) and is acknowledged when
that returns. Sequentially every read must equal Postgres; concurrently a read that starts after a
write's acknowledgement must see at least that write.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg
import orjson
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cache.pipelined import connect_url
from cache.store import Cache, create_client
from cache.tracking import tracker_for_url
from core.records import ArticleFilter, ArticleIn
from core.settings import Settings
from db.pool import create_pool
from services import articles as articles_service
from services.deps import Deps
from services.ingest import ingest_articles
from services.reads_cache import (
    LIST_DEPENDENCIES,
    Entry,
    Miss,
    ReadsCache,
    article_dependencies,
    reads_cache,
    request_digest,
)

START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class World:
    """One source's articles; ``deps`` carries a real Redis cache."""

    deps: Deps
    source: str
    ids: list[int] = field(default_factory=list)
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def cache(self) -> ReadsCache:
        return reads_cache(self.deps)

    async def ingest(self) -> int:
        n = next(self.counter)
        item = ArticleIn(
            source=self.source,
            external_id=uuid.uuid4().hex,
            title=f"article {n}",
            body=f"body {n}",
            published_at=START + timedelta(minutes=n),
        )
        [result] = await ingest_articles(self.deps, articles=[item])
        self.ids.append(result.article.id)
        return result.article.id

    async def rescore(self, article_id: int, score: float, *, monotonic: bool = False) -> None:
        # What the worker does: commit the new score, then bump before acknowledging. Concurrent
        # writers keep the maximum, so "acknowledged v" means Postgres holds v or more from then on.
        value = "greatest(coalesce(sentiment_score, -1), $1)" if monotonic else "$1"
        await self.deps.pool.execute(
            f"update articles set sentiment_score = {value}, sentiment_label = 'neutral',"
            " sentiment_confidence = 1, sentiment_model = 't', scored_at = now(), status = 'scored'"
            " where id = $2",
            score,
            article_id,
        )
        assert self.deps.cache is not None
        await self.deps.cache.bump_articles(article_ids=[article_id], symbols=[])

    async def read_article(self, article_id: int) -> tuple[int, float | None]:
        digest = request_digest("test-article", str(article_id))
        found = await self.cache.get(digest, depends_on=article_dependencies([article_id]))
        if isinstance(found, Entry):
            aid, score = orjson.loads(found.body)
            return aid, score
        article = await articles_service.get_article(self.deps, article_id=article_id)
        value = (article.id, article.sentiment.score if article.sentiment else None)
        await self.cache.put(found, orjson.dumps(value))
        return value

    async def read_list(self) -> list[tuple[int, float | None]]:
        digest = request_digest("test-list", self.source)
        found = await self.cache.get(digest, depends_on=LIST_DEPENDENCIES)
        if isinstance(found, Entry):
            return [(a, s) for a, s in orjson.loads(found.body)]
        page = await articles_service.list_articles(
            self.deps, filter=ArticleFilter(sources=(self.source,)), first=20
        )
        value = [(a.id, a.sentiment.score if a.sentiment else None) for a in page.items]
        await self.cache.put(found, orjson.dumps(value))
        return value

    async def truth_article(self, article_id: int) -> tuple[int, float | None]:
        row = await self.deps.pool.fetchrow(
            "select id, sentiment_score from articles where id = $1", article_id
        )
        assert row is not None
        return row["id"], row["sentiment_score"]

    async def truth_list(self) -> list[tuple[int, float | None]]:
        rows = await self.deps.pool.fetch(
            "select a.id, a.sentiment_score from articles a join sources s on s.id = a.source_id"
            " where s.name = $1 order by a.published_at desc, a.id desc limit 20",
            self.source,
        )
        return [(r["id"], r["sentiment_score"]) for r in rows]


def _production_cache(settings: Settings) -> Cache:
    """As services.deps builds it: hot-path scripts over the pipelined client, and a generation tracker
    (started by the first ``ResponseCache``), so reads are also served from local copies with no I/O."""
    url = settings.redis_url.get_secret_value()
    return Cache(create_client(url), fast=connect_url(url), tracker=tracker_for_url(url))


@pytest_asyncio.fixture
async def world(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[World]:
    cache = _production_cache(settings)
    await cache.redis.flushdb()
    w = World(deps=Deps(settings=settings, pool=pool, cache=cache), source=f"cache-{uuid.uuid4().hex[:10]}")
    for _ in range(5):
        await w.ingest()
    yield w
    await cache.aclose()


async def _flush(cache: Cache) -> None:
    await cache.redis.flushdb()


# Scores are stored as real (float4): compare what Postgres gives back, not the float we sent.
Op = tuple[str, int, int]
OPS = st.lists(
    st.tuples(
        st.sampled_from(["read_article", "read_article", "read_list", "rescore", "rescore", "ingest"]),
        st.integers(0, 1_000),
        st.integers(-100, 100),
    ),
    min_size=200,
    max_size=300,
)


def test_sequential_reads_never_stale(settings: Settings, database_url: str) -> None:
    """Hypothesis-generated interleavings (>= 4,000 operations); every read equals Postgres."""
    total = {"ops": 0, "writes": 0, "reads": 0}
    with asyncio.Runner() as runner:
        pool = runner.run(create_pool(database_url, min_size=1, max_size=4))
        cache = _production_cache(settings)
        runner.run(_flush(cache))
        w = World(
            deps=Deps(settings=settings, pool=pool, cache=cache), source=f"prop-{uuid.uuid4().hex[:10]}"
        )
        for _ in range(5):
            runner.run(w.ingest())

        async def run(ops: list[Op]) -> None:
            for kind, pick, value in ops:
                total["ops"] += 1
                article_id = w.ids[pick % len(w.ids)]
                if kind == "ingest":
                    total["writes"] += 1
                    await w.ingest()
                elif kind == "rescore":
                    total["writes"] += 1
                    await w.rescore(article_id, value / 100)
                elif kind == "read_article":
                    total["reads"] += 1
                    assert await w.read_article(article_id) == await w.truth_article(article_id)
                else:
                    total["reads"] += 1
                    assert await w.read_list() == await w.truth_list()

        @hypothesis_settings(
            max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        @given(OPS)
        def check(ops: list[Op]) -> None:
            runner.run(run(ops))

        try:
            check()
        finally:
            runner.run(cache.aclose())
            runner.run(pool.close())
    assert total["ops"] >= 4_000, total
    assert total["writes"] >= 1_000 and total["reads"] >= 2_000, total


async def test_concurrent_reads_see_every_acknowledged_write(world: World) -> None:
    """Writers and readers race (10,200 operations); a read begun after a write's acknowledgement
    returns that score or a newer one."""
    rng = random.Random(5)
    article_ids = world.ids[:3]
    acked: dict[int, tuple[float, int]] = {i: (time.monotonic(), 0) for i in article_ids}
    version = itertools.count(1)
    stale: list[tuple[int, float | None, int]] = []
    reads = 0

    async def writer() -> None:
        for _ in range(1_000):
            article_id = rng.choice(article_ids)
            v = next(version)
            # Monotonic per run: a larger score is a later write.
            await world.rescore(article_id, v / 100_000, monotonic=True)
            if acked[article_id][1] < v:
                acked[article_id] = (time.monotonic(), v)

    async def reader() -> None:
        nonlocal reads
        for _ in range(1_200):
            article_id = rng.choice(article_ids)
            floor = acked[article_id][1]
            _, score = await world.read_article(article_id)
            reads += 1
            seen = round((score or 0) * 100_000)
            if seen < floor:
                stale.append((article_id, score, floor))

    await asyncio.gather(*(writer() for _ in range(3)), *(reader() for _ in range(6)))
    assert reads == 7_200  # with 3,000 writes: 10,200 interleaved operations
    assert stale == []


async def test_stale_set_race_is_unreachable(world: World) -> None:
    """A reader that read Postgres before a write but stores after its ack stores under old generations."""
    article_id = world.ids[0]
    digest = request_digest("test-article", str(article_id))
    miss = await world.cache.get(digest, depends_on=article_dependencies([article_id]))
    assert not isinstance(miss, Entry)
    old = await world.truth_article(article_id)
    await world.rescore(article_id, 0.5)
    await world.cache.put(miss, orjson.dumps(old))  # the late, stale set
    assert await world.read_article(article_id) == (article_id, 0.5)


async def test_lost_bump_is_healed_before_entries_are_trusted(world: World) -> None:
    """A bump lost to an outage marks the cache dirty; the next lookup heals before trusting an entry."""
    article_id = world.ids[1]
    await world.read_article(article_id)
    await world.read_list()
    await world.deps.pool.execute("update articles set sentiment_score = 0.25 where id = $1", article_id)
    assert world.deps.cache is not None
    world.deps.cache.dirty = True  # what bump_articles records when Redis did not answer
    assert await world.read_article(article_id) == (article_id, 0.25)
    assert not world.deps.cache.dirty
    assert (article_id, 0.25) in await world.read_list()


@pytest.mark.parametrize("enabled", [True, False])
async def test_cache_off_always_reads_postgres(world: World, settings: Settings, enabled: bool) -> None:
    deps = Deps(
        settings=settings.model_copy(update={"response_cache": enabled}),
        pool=world.deps.pool,
        cache=world.deps.cache,
    )
    cache = reads_cache(deps)
    assert cache.enabled is enabled
    miss = await cache.get("x", depends_on=LIST_DEPENDENCIES)
    assert isinstance(miss, Miss)
    await cache.put(miss, b"body")
    again = await cache.get("x", depends_on=LIST_DEPENDENCIES)
    assert isinstance(again, Entry) is enabled
