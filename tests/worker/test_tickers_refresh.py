"""A running worker picks up new reference tickers: it reloads its scorer when the table changes, so a
company added after start is linked without a restart, and nothing in flight is lost."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from core.records import ArticleIn, TickerRef
from db import tickers as db_tickers
from services.deps import Deps
from tests.worker.conftest import SCORER, ingest, worker_settings
from worker.runner import Worker
from worker.scorer import ScorerPool


async def _until(predicate: Callable[[], Awaitable[bool]], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not await predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_new_ticker_is_linked_without_a_restart(wdeps: Deps) -> None:
    deps = Deps(settings=worker_settings(wdeps.settings, worker_tickers_refresh_s=0.2), pool=wdeps.pool)
    async with deps.connection() as conn:
        start_refs = tuple(await db_tickers.list_ticker_refs(conn))
    pool = ScorerPool(tickers=start_refs, concurrency=1, mode="thread", path=SCORER)
    await asyncio.get_running_loop().run_in_executor(None, pool.start)
    worker = Worker(deps, pool)
    task = asyncio.create_task(worker.run())
    tag = uuid.uuid4().hex[:6].upper()
    symbol = f"Z{tag[:4]}"
    name = f"Quorvex {tag} Dynamics"
    try:
        async with deps.connection() as conn:
            await db_tickers.upsert_tickers(conn, tickers=[TickerRef(symbol, name)])

        async def reloaded() -> bool:
            return symbol in {t.symbol for t in worker.pool.tickers}

        await _until(reloaded, 20)
        assert worker.pool is not pool
        (article_id,) = await ingest(
            deps,
            [
                ArticleIn(
                    source="refresh-tests",
                    title=f"{name} shares rose after results beat estimates",
                    body=f"{name} reported record revenue that beat estimates; shares rose 6%.",
                    published_at=datetime.now(UTC),
                )
            ],
        )

        async def linked() -> bool:
            row = await deps.pool.fetchrow(
                "select status, (select array_agg(symbol) from article_tickers t where t.article_id = a.id)"
                " as symbols from articles a where id = $1",
                article_id,
            )
            return row is not None and row["status"] == "scored" and symbol in (row["symbols"] or [])

        await _until(linked, 20)
    finally:
        worker.stop()
        await asyncio.wait_for(task, 30)
        worker.pool.shutdown(wait=True)
        pool.shutdown(wait=True)
