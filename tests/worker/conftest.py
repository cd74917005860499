"""Worker test helpers: tickers, article factories, burst runs, worker subprocesses, row snapshots."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from core.records import ArticleIn, TickerRef
from core.settings import Settings
from db import tickers as db_tickers
from services.deps import Deps
from services.ingest import ingest_articles
from worker.runner import Worker, WorkerStats
from worker.scorer import ScorerPool

ROOT = Path(__file__).resolve().parents[2]
SCORER = "tests.worker.fake_scorer:load_scorer"
SHIFTED = "tests.worker.fake_scorer:load_shifted"

TICKERS = (
    TickerRef("LUMN", "Lumen Technologies", ("Lumen",), "NYSE", "Communication Services", "Telecom"),
    TickerRef("AAPL", "Apple Inc.", ("Apple",), "NASDAQ", "Technology", "Hardware"),
    TickerRef("MSFT", "Microsoft Corporation", ("Microsoft",), "NASDAQ", "Technology", "Software"),
    TickerRef("NVDA", "NVIDIA Corporation", ("Nvidia",), "NASDAQ", "Technology", "Semiconductors"),
    TickerRef("TSLA", "Tesla, Inc.", ("Tesla",), "NASDAQ", "Consumer Discretionary", "Autos"),
)
_COMPANIES = ("Apple", "Microsoft", "Nvidia", "Tesla", "Lumen Technologies")
_SENTENCES = (
    "{c} reported quarterly revenue that beat estimates and shares rose 4% in early trading.",
    "{c} shares fell after the company cut its full-year outlook, citing weak demand.",
    "{c} said it would acquire a small software startup for an undisclosed sum.",
    "{c} held its annual meeting on Tuesday; shareholders voted on the board.",
    "Analysts said {c} faces a lawsuit over patents, and the stock was down 2%.",
)


def worker_settings(settings: Settings, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "worker_executor": "thread",
        "worker_concurrency": 1,
        "worker_batch_size": 8,
        "worker_heartbeat_s": 0.2,
        "worker_heartbeat_timeout_s": 1.5,
        "worker_poll_s": 0.2,
        "worker_backoff_base_s": 0.05,
        "worker_backoff_max_s": 0.5,
        "worker_grace_s": 5.0,
    }
    values.update(overrides)
    return settings.model_copy(update=values)


@pytest_asyncio.fixture(scope="session")
async def ticker_refs(pool: asyncpg.Pool) -> tuple[TickerRef, ...]:
    async with pool.acquire() as conn:
        await db_tickers.upsert_tickers(conn, tickers=TICKERS)
        return tuple(await db_tickers.list_ticker_refs(conn))


@pytest.fixture
def wdeps(deps: Deps, ticker_refs: tuple[TickerRef, ...]) -> Deps:
    """Deps without Redis, with short worker timings."""
    return Deps(settings=worker_settings(deps.settings), pool=deps.pool)


def make_articles(
    n: int, *, tag: str | None = None, start: datetime | None = None, poison: dict[int, str] | None = None
) -> list[ArticleIn]:
    """``n`` distinct articles, one hour apart, each title ``<tag> #<i>`` (tests find them by tag)."""
    tag = tag or uuid.uuid4().hex[:8]
    base = start or datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=20)
    out = []
    for i in range(n):
        company = _COMPANIES[i % len(_COMPANIES)]
        body = " ".join(s.format(c=company) for s in _SENTENCES[i % 3 : i % 3 + 2 + i % 2])
        if poison and i in poison:
            body += f" {poison[i]}"
        out.append(
            ArticleIn(
                source="worker-tests",
                external_id=f"{tag}-{i}",
                title=f"{tag} #{i} {company} update",
                body=body,
                published_at=base + timedelta(minutes=37 * i),
                tickers=["MSFT"] if i % 7 == 0 else [],
            )
        )
    return out


async def ingest(deps: Deps, articles: Sequence[ArticleIn]) -> list[int]:
    ids: list[int] = []
    for lo in range(0, len(articles), 500):
        results = await ingest_articles(deps, articles=articles[lo : lo + 500])
        ids.extend(r.article.id for r in results)
    return ids


async def run_burst(
    deps: Deps, *, path: str = SCORER, timeout_s: float = 60.0, tickers: Sequence[TickerRef] = TICKERS
) -> WorkerStats:
    pool = ScorerPool(tickers=tickers, concurrency=1, mode="thread", path=path)
    worker: Worker | None = None
    try:
        await asyncio.get_running_loop().run_in_executor(None, pool.start)
        worker = Worker(deps, pool, burst=True)
        return await asyncio.wait_for(worker.run(), timeout_s)
    finally:
        # The worker may have swapped in a pool for a changed ticker table.
        (worker.pool if worker is not None else pool).shutdown(wait=True)
        if worker is not None and worker.pool is not pool:
            pool.shutdown(wait=True)


# --- subprocess workers ---


def worker_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("WORKER_", "TICKERTONE_TEST_", "DATABASE_"))
    }
    env.update(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "PYTHONPATH": str(ROOT),
            "TICKERTONE_ENV": "test",
            "TICKERTONE_TEST_SCORER": SCORER,
            "WORKER_EXECUTOR": "process",
            "WORKER_CONCURRENCY": "2",
            "WORKER_BATCH_SIZE": "8",
            "WORKER_HEARTBEAT_S": "0.3",
            "WORKER_HEARTBEAT_TIMEOUT_S": "2",
            "WORKER_POLL_S": "0.3",
            "WORKER_BACKOFF_BASE_S": "0.05",
            "WORKER_BACKOFF_MAX_S": "0.5",
            "WORKER_GRACE_S": "10",
            "LOG_LEVEL": "INFO",
        }
    )
    env.update(extra)
    return env


async def start_worker(env: dict[str, str], *args: str, log: Path) -> asyncio.subprocess.Process:
    # Own session: kill -9 of the group takes the pool processes down too, as a crashed host would.
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "worker",
            *args,
            cwd=str(ROOT),
            env=env,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )


def kill_group(proc: asyncio.subprocess.Process, sig: int = signal.SIGKILL) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


@pytest_asyncio.fixture
async def processes() -> AsyncIterator[list[asyncio.subprocess.Process]]:
    """Worker processes a test starts; whatever is still alive at the end is killed."""
    started: list[asyncio.subprocess.Process] = []
    yield started
    for proc in started:
        if proc.returncode is None:
            kill_group(proc)
            await proc.wait()


async def wait_until(predicate: Any, *, timeout_s: float, every_s: float = 0.1) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s")
        await asyncio.sleep(every_s)


# --- assertions on rows ---


async def scored_count(pool: asyncpg.Pool, ids: Sequence[int]) -> int:
    count: int = await pool.fetchval(
        "select count(*) from articles where id = any($1::bigint[]) and status = 'scored'", list(ids)
    )
    return count


async def snapshot(pool: asyncpg.Pool, ids: Sequence[int]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the worker writes for these articles, as comparable tuples."""
    queries = {
        "articles": "select id, status, sentiment_score, sentiment_label, sentiment_confidence,"
        " sentiment_model, scored_at from articles where id = any($1::bigint[]) order by id",
        "article_sentiment": "select * from article_sentiment where article_id = any($1::bigint[])"
        " order by article_id, model",
        "article_ticker_sentiment": "select article_id, symbol, model, relevance, score, label, confidence,"
        " highlights::text, scored_at from article_ticker_sentiment where article_id = any($1::bigint[])"
        " order by 1, 2, 3",
        "article_tickers": "select article_id, symbol, published_at, explicit, relevance, score, label,"
        " confidence, highlights::text, model, scored_at from article_tickers"
        " where article_id = any($1::bigint[]) order by 1, 2",
        "events": "select id, article_id, model, ordinal, type, symbol, entity, attributes::text,"
        " evidence::text, confidence, published_at, created_at from events"
        " where article_id = any($1::bigint[]) order by id",
        "buckets": "select * from ticker_sentiment_buckets where symbol in"
        " (select symbol from article_tickers where article_id = any($1::bigint[]))"
        " order by symbol, granularity, bucket_start",
    }
    return {name: [tuple(r) for r in await pool.fetch(sql, list(ids))] for name, sql in queries.items()}


# Other packages' fixtures write scored article_tickers rows straight into the shared test database
# (they test reads, not the worker), so the comparison covers only buckets that worker-written articles
# alone contribute to.
_SCORED = """
with scored as (
    select t.symbol, g.granularity,
           case g.granularity when 'hour' then date_trunc('hour', t.published_at, 'UTC')
                else date_trunc('day', t.published_at, 'UTC') end as bucket_start,
           t.relevance, t.score, s.name = 'worker-tests' as ours
    from article_tickers t
    join articles a on a.id = t.article_id
    join sources s on s.id = a.source_id
    cross join (values ('hour'), ('day')) as g(granularity)
    where t.score is not null
),
foreign_keys as (select distinct symbol, granularity, bucket_start from scored where not ours)
"""

_FROM_SCRATCH = (
    _SCORED
    + """
select symbol, granularity, bucket_start, count(*)::int as n,
       round(sum(relevance::float8 * score::float8)::numeric, 6) as wsum,
       count(*) filter (where score >= 0.15)::int as pos,
       count(*) filter (where score <= -0.15)::int as neg
from scored group by 1, 2, 3 having bool_and(ours) order by 1, 2, 3
"""
)

_STORED = (
    _SCORED
    + """
select b.symbol, b.granularity, b.bucket_start, b.article_count, round(b.weighted_score_sum::numeric, 6),
       b.positive, b.negative
from ticker_sentiment_buckets b
where (b.symbol, b.granularity, b.bucket_start) not in (select * from foreign_keys)
order by 1, 2, 3
"""
)


async def assert_buckets_match_source(pool: asyncpg.Pool) -> None:
    expected = [tuple(r) for r in await pool.fetch(_FROM_SCRATCH)]
    stored = [tuple(r) for r in await pool.fetch(_STORED)]
    assert stored == expected
