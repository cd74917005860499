"""``python -m worker status | retry-failed | rescore`` against the test database."""

from __future__ import annotations

import asyncio
import sys

from services.deps import Deps
from tests.worker.conftest import ROOT, ingest, make_articles, worker_env


async def _cli(database_url: str, redis_url: str, *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "worker",
        *args,
        cwd=str(ROOT),
        env=worker_env(database_url, redis_url),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def test_status_retry_failed_and_rescore(wdeps: Deps, database_url: str, redis_url: str) -> None:
    ids = await ingest(wdeps, make_articles(3))
    await wdeps.pool.execute(
        "update score_jobs set status = 'failed', attempts = 5, last_error = 'boom', finished_at = now()"
        " where article_id = $1",
        ids[0],
    )
    code, out = await _cli(database_url, redis_url, "status")
    assert code == 0 and "failed" in out and "boom" in out

    code, out = await _cli(database_url, redis_url, "retry-failed")
    assert code == 0 and "re-queued" in out
    assert (
        await wdeps.pool.fetchval("select status from score_jobs where article_id = $1", ids[0]) == "queued"
    )

    model = "cli-test-model"
    code, out = await _cli(database_url, redis_url, "rescore", "--model", model, "--since", "2000-01-01")
    try:
        assert code == 0 and "enqueued" in out
        enqueued = await wdeps.pool.fetchval(
            "select count(*) from score_jobs where model = $1 and article_id = any($2::bigint[])", model, ids
        )
        assert enqueued == 3
    finally:
        # No worker runs this model: its jobs would wait forever and skew other tests' queue checks.
        await wdeps.pool.execute("delete from score_jobs where model = $1", model)
