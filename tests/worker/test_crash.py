"""Real worker processes under failure: kill -9, poison input, SIGTERM, and Postgres going away mid-run."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from services.deps import Deps
from tests.worker.conftest import (
    assert_buckets_match_source,
    ingest,
    kill_group,
    make_articles,
    scored_count,
    start_worker,
    wait_until,
    worker_env,
)
from tests.worker.proxy import CuttableProxy

pytestmark = pytest.mark.slow


async def _assert_exactly_once(pool: asyncpg.Pool, ids: list[int]) -> None:
    """0 lost, 0 duplicate rows: one history row and one finished job per article, nothing left open."""
    assert await scored_count(pool, ids) == len(ids)
    history = await pool.fetchrow(
        "select count(*) as n, count(distinct article_id) as d from article_sentiment"
        " where article_id = any($1::bigint[])",
        ids,
    )
    assert history["n"] == history["d"] == len(ids)
    jobs = await pool.fetch(
        "select status, count(*) as n from score_jobs where article_id = any($1::bigint[]) group by status",
        ids,
    )
    assert {r["status"]: r["n"] for r in jobs} == {"done": len(ids)}
    dup_events = await pool.fetchval(
        "select count(*) from (select article_id, model, ordinal from events"
        " where article_id = any($1::bigint[]) group by 1, 2, 3 having count(*) > 1) d",
        ids,
    )
    assert dup_events == 0


def _executions(log: Path, tag: str) -> list[str]:
    return [line for line in log.read_text().splitlines() if line.startswith(tag)] if log.exists() else []


async def test_kill_9_mid_run_then_a_new_worker_finishes(
    deps: Deps,
    database_url: str,
    redis_url: str,
    ticker_refs: object,
    processes: list[asyncio.subprocess.Process],
    tmp_path: Path,
) -> None:
    articles = make_articles(400)
    tag = articles[0].title.split()[0]
    ids = await ingest(deps, articles)
    exec_log = tmp_path / "executions.log"
    env = worker_env(
        database_url,
        redis_url,
        TICKERTONE_TEST_SCORE_DELAY_MS="8",
        TICKERTONE_TEST_EXECUTION_LOG=str(exec_log),
    )
    first = await start_worker(env, log=tmp_path / "first.log")
    processes.append(first)

    async def some_scored() -> bool:
        return await scored_count(deps.pool, ids) >= 80

    await wait_until(some_scored, timeout_s=60)
    kill_group(first)
    await first.wait()
    at_kill = await scored_count(deps.pool, ids)
    running = await deps.pool.fetchval(
        "select count(*) from score_jobs where article_id = any($1::bigint[]) and status = 'running'", ids
    )
    assert at_kill < 400, "the worker finished before it was killed; the test proves nothing"

    second = await start_worker(env, "run", "--burst", log=tmp_path / "second.log")
    processes.append(second)
    assert await asyncio.wait_for(second.wait(), 90) == 0
    await _assert_exactly_once(deps.pool, ids)
    executions = _executions(exec_log, tag)
    assert len(set(executions)) == 400
    # Only work that was in flight at the kill runs again.
    assert len(executions) - 400 <= running
    await assert_buckets_match_source(deps.pool)


async def test_poison_article_is_dead_lettered_while_the_rest_finish(
    deps: Deps,
    database_url: str,
    redis_url: str,
    ticker_refs: object,
    processes: list[asyncio.subprocess.Process],
    tmp_path: Path,
) -> None:
    marker = "POISON-subprocess"
    ids = await ingest(deps, make_articles(60, poison={17: marker}))
    env = worker_env(database_url, redis_url, TICKERTONE_TEST_POISON_MARKER=marker, WORKER_MAX_ATTEMPTS="3")
    proc = await start_worker(env, "run", "--burst", log=tmp_path / "worker.log")
    processes.append(proc)
    assert await asyncio.wait_for(proc.wait(), 60) == 0
    assert await scored_count(deps.pool, ids) == 59
    job = await deps.pool.fetchrow(
        "select status, attempts, last_error from score_jobs where article_id = $1", ids[17]
    )
    assert (job["status"], job["attempts"]) == ("failed", 3)
    assert marker in job["last_error"]


async def test_sigterm_finishes_in_flight_and_nothing_runs_twice(
    deps: Deps,
    database_url: str,
    redis_url: str,
    ticker_refs: object,
    processes: list[asyncio.subprocess.Process],
    tmp_path: Path,
) -> None:
    articles = make_articles(240)
    tag = articles[0].title.split()[0]
    ids = await ingest(deps, articles)
    exec_log = tmp_path / "executions.log"
    env = worker_env(
        database_url,
        redis_url,
        TICKERTONE_TEST_SCORE_DELAY_MS="25",
        TICKERTONE_TEST_EXECUTION_LOG=str(exec_log),
    )
    first = await start_worker(env, log=tmp_path / "first.log")
    processes.append(first)

    async def some_scored() -> bool:
        return await scored_count(deps.pool, ids) >= 40

    await wait_until(some_scored, timeout_s=60)
    in_flight = [
        r["id"]
        for r in await deps.pool.fetch(
            "select id from score_jobs where article_id = any($1::bigint[]) and status = 'running'", ids
        )
    ]
    assert in_flight, "nothing was in flight at SIGTERM; the test proves nothing"
    loop = asyncio.get_running_loop()
    signalled = loop.time()
    # To the whole group, as Ctrl-C would: pool processes must not die under the batch they run.
    kill_group(first, signal.SIGTERM)
    assert await asyncio.wait_for(first.wait(), 15) == 0
    assert loop.time() - signalled < 10
    states = await deps.pool.fetch(
        "select id, status, attempts from score_jobs where id = any($1::bigint[])", in_flight
    )
    # Each job that was running either finished, or had not started and went back untouched.
    assert all(r["status"] == "done" or (r["status"] == "queued" and r["attempts"] == 0) for r in states)
    assert any(r["status"] == "done" for r in states)
    assert (
        await deps.pool.fetchval(
            "select count(*) from score_jobs where article_id = any($1::bigint[]) and status = 'running'", ids
        )
        == 0
    )

    second = await start_worker(env, "run", "--burst", log=tmp_path / "second.log")
    processes.append(second)
    assert await asyncio.wait_for(second.wait(), 90) == 0
    await _assert_exactly_once(deps.pool, ids)
    executions = _executions(exec_log, tag)
    assert len(executions) == len(set(executions)) == 240


def _via(database_url: str, port: int) -> str:
    parts = urlsplit(database_url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    return urlunsplit(
        (parts.scheme, f"{netloc[0]}@{host}" if len(netloc) == 2 else host, parts.path, parts.query, "")
    )


async def test_postgres_lost_mid_run_worker_reconnects_and_loses_nothing(
    deps: Deps,
    database_url: str,
    redis_url: str,
    ticker_refs: object,
    processes: list[asyncio.subprocess.Process],
    tmp_path: Path,
) -> None:
    target = urlsplit(database_url)
    proxy = CuttableProxy(target.hostname or "127.0.0.1", target.port or 5432)
    await proxy.start()
    try:
        ids = await ingest(deps, make_articles(300))
        env = worker_env(_via(database_url, proxy.port), redis_url, TICKERTONE_TEST_SCORE_DELAY_MS="8")
        proc = await start_worker(env, log=tmp_path / "worker.log")
        processes.append(proc)

        async def some_scored() -> bool:
            return await scored_count(deps.pool, ids) >= 60

        await wait_until(some_scored, timeout_s=60)
        await proxy.cut()
        # A COMMIT already on the wire when the proxy cut still lands on the server: let it settle.
        await asyncio.sleep(0.5)
        at_cut = await scored_count(deps.pool, ids)
        await asyncio.sleep(2.0)
        assert await scored_count(deps.pool, ids) == at_cut  # really cut off
        assert proc.returncode is None, "the worker died with its database"
        await proxy.restore()

        async def all_scored() -> bool:
            return await scored_count(deps.pool, ids) == 300

        await wait_until(all_scored, timeout_s=60)

        async def queue_settled() -> bool:
            open_jobs: int = await deps.pool.fetchval(
                "select count(*) from score_jobs where article_id = any($1::bigint[])"
                " and status in ('queued', 'running')",
                ids,
            )
            return open_jobs == 0

        await wait_until(queue_settled, timeout_s=30)
        kill_group(proc, signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 15) == 0
        await _assert_exactly_once(deps.pool, ids)
        assert proxy.connections > 2  # it did reconnect
    finally:
        await proxy.close()
