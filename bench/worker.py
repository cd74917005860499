"""Worker throughput and ingest-to-scored latency, idle and during a burst, against a real worker process.

``python -m bench.worker [--burst 1000] [--idle 30] [--concurrency 2]`` creates a throwaway database on
the server named by ``DATABASE_URL`` (migrated, reference tickers from ``seeds/tickers.json``), starts
``python -m worker`` on it, and measures:

- idle latency: one article at a time, from the return of the ingest call (its transaction committed,
  as when ``POST /v1/articles`` answers) to ``status = 'scored'`` being readable, polled every 5 ms;
- burst: ``--burst`` articles ingested in batches of 100 as fast as possible; latency per article from
  its batch's ingest return, and worker throughput (articles / time from first ingest to last scored).

Article bodies are the seed article and the demo articles, made unique per run. Prints JSON and a
Markdown row for bench/README.md. The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from core.records import ArticleIn
from core.settings import Settings
from db.pool import create_pool
from db.scratch import scratch_database
from seeds.load import read_articles, read_tickers
from services.deps import Deps
from services.ingest import ingest_articles

ROOT = Path(__file__).resolve().parent.parent
_POLL_S = 0.005


def _articles(n: int, tag: str) -> list[ArticleIn]:
    base = read_articles()
    now = datetime.now(UTC) - timedelta(hours=1)
    return [
        base[i % len(base)].model_copy(
            update={
                "external_id": f"bench-{tag}-{i}",
                "url": None,
                "source": "bench",
                "title": f"{base[i % len(base)].title} [{tag}-{i}]",
                "published_at": now - timedelta(minutes=i),
            }
        )
        for i in range(n)
    ]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _wait_scored(pool: asyncpg.Pool, ingested: dict[int, float], timeout_s: float) -> dict[int, float]:
    """Poll until every article is scored; returns article id -> monotonic time it was first seen scored."""
    seen: dict[int, float] = {}
    deadline = time.monotonic() + timeout_s
    while len(seen) < len(ingested):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(ingested) - len(seen)} articles not scored within {timeout_s}s")
        pending = [i for i in ingested if i not in seen]
        rows = await pool.fetch(
            "select id from articles where id = any($1::bigint[]) and status = 'scored'", pending
        )
        now = time.monotonic()
        for r in rows:
            seen[r["id"]] = now
        await asyncio.sleep(_POLL_S)
    return seen


async def _ingest(deps: Deps, articles: list[ArticleIn]) -> dict[int, float]:
    results = await ingest_articles(deps, articles=articles)
    done = time.monotonic()
    return {r.article.id: done for r in results}


async def run(args: argparse.Namespace) -> dict[str, object]:
    server = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    async with scratch_database(server, "tickertone_bench", tickers=read_tickers()) as dsn:
        return await _measure(args, dsn)


async def _measure(args: argparse.Namespace, dsn: str) -> dict[str, object]:
    proc: asyncio.subprocess.Process | None = None
    pool = await create_pool(dsn, min_size=1, max_size=4)
    try:
        deps = Deps(settings=Settings.model_validate({"DATABASE_URL": dsn}), pool=pool)
        env = {
            **os.environ,
            "DATABASE_URL": dsn,
            "WORKER_CONCURRENCY": str(args.concurrency),
            "WORKER_BATCH_SIZE": str(args.batch_size),
            "LOG_LEVEL": "WARNING",
        }
        if args.scorer:
            env["TICKERTONE_TEST_SCORER"] = args.scorer
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "worker", cwd=str(ROOT), env=env, start_new_session=True
        )
        tag = uuid.uuid4().hex[:6]
        # Warm-up doubles as "worker ready": the first article is scored once the model is loaded.
        warm = await _ingest(deps, _articles(1, f"{tag}w"))
        await _wait_scored(pool, warm, timeout_s=120)
        startup_s = time.monotonic() - started

        idle: list[float] = []
        for i, article in enumerate(_articles(args.idle, f"{tag}i")):
            ingested = await _ingest(deps, [article])
            seen = await _wait_scored(pool, ingested, timeout_s=30)
            idle.extend(seen[a] - t for a, t in ingested.items())
            await asyncio.sleep(0.05 if i % 2 else 0.2)  # let the worker go idle between articles

        burst_articles = _articles(args.burst, f"{tag}b")
        t0 = time.monotonic()
        ingested_all: dict[int, float] = {}
        for lo in range(0, len(burst_articles), 100):
            ingested_all.update(await _ingest(deps, burst_articles[lo : lo + 100]))
        ingest_s = time.monotonic() - t0
        seen = await _wait_scored(pool, ingested_all, timeout_s=1200)
        burst = [seen[a] - t for a, t in ingested_all.items()]
        total_s = max(seen.values()) - t0
        model = await pool.fetchval("select sentiment_model from articles where status = 'scored' limit 1")
    finally:
        if proc is not None and proc.returncode is None:
            os.killpg(proc.pid, signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 60)
        await pool.close()
    ms = 1000.0
    return {
        "model": model,
        "scorer": args.scorer or "scoring:load_scorer",
        "concurrency": args.concurrency,
        "batch_size": args.batch_size,
        "cpus": os.cpu_count(),
        "startup_s": round(startup_s, 2),
        "idle_n": len(idle),
        "idle_p50_ms": round(statistics.median(idle) * ms, 1),
        "idle_p99_ms": round(_pct(idle, 0.99) * ms, 1),
        "burst_n": len(burst),
        "burst_ingest_s": round(ingest_s, 2),
        "burst_p50_ms": round(statistics.median(burst) * ms, 1),
        "burst_p99_ms": round(_pct(burst, 0.99) * ms, 1),
        "worker_articles_per_s": round(len(burst) / total_s, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker", description=__doc__)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--idle", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--scorer", help="module:function instead of scoring:load_scorer (not for results)")
    result = asyncio.run(run(parser.parse_args(argv)))
    print(json.dumps(result, indent=2))
    print(
        f"| {result['model']} | {result['concurrency']} x {result['batch_size']} | {result['idle_p50_ms']} ms"
        f" | {result['idle_p99_ms']} ms | {result['burst_p50_ms']} ms | {result['burst_p99_ms']} ms"
        f" | {result['worker_articles_per_s']} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
