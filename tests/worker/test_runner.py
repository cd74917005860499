"""In-process burst runs of the worker: scoring, idempotency, re-scores, retries and dead letters."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from core.records import ArticleIn
from core.scale import label_of
from services import jobs as job_service
from services.deps import Deps
from tests.worker.conftest import (
    ROOT,
    SCORER,
    SHIFTED,
    TICKERS,
    assert_buckets_match_source,
    ingest,
    make_articles,
    run_burst,
    scored_count,
    snapshot,
    wait_until,
)
from tests.worker.fake_scorer import real_scorer_available
from worker.runner import Worker
from worker.scorer import ScorerPool

SEED_ARTICLE = ROOT / "seeds" / "seed-article.txt"


async def test_burst_scores_every_article_once(wdeps: Deps) -> None:
    ids = await ingest(wdeps, make_articles(30))
    await run_burst(wdeps)
    pool = wdeps.pool
    assert await scored_count(pool, ids) == 30
    per_article = await pool.fetch(
        "select article_id, count(*) as n from article_sentiment where article_id = any($1::bigint[])"
        " group by article_id",
        ids,
    )
    assert len(per_article) == 30 and all(r["n"] == 1 for r in per_article)
    jobs = await pool.fetch(
        "select status, attempts, model from score_jobs where article_id = any($1::bigint[])", ids
    )
    assert {(j["status"], j["attempts"]) for j in jobs} == {("done", 1)}
    assert all(j["model"] for j in jobs)
    # Every article names a company: linked tickers carry the current model's score.
    linked = await pool.fetch(
        "select t.model, t.score, a.sentiment_model from article_tickers t"
        " join articles a on a.id = t.article_id where t.article_id = any($1::bigint[])",
        ids,
    )
    assert linked and all(r["model"] == r["sentiment_model"] and r["score"] is not None for r in linked)
    await assert_buckets_match_source(pool)


async def test_duplicate_delivery_changes_no_row(wdeps: Deps) -> None:
    ids = await ingest(wdeps, make_articles(12))
    await run_burst(wdeps)
    before = await snapshot(wdeps.pool, ids)
    # Deliver every article again: new jobs for the same (article, model) are a duplicate delivery.
    await wdeps.pool.execute("insert into score_jobs (article_id) select unnest($1::bigint[])", ids)
    stats = await run_burst(wdeps)
    assert stats.stored >= 12
    assert await snapshot(wdeps.pool, ids) == before


async def test_rescore_keeps_history_and_newest_model_wins(wdeps: Deps) -> None:
    # Newer than every other test's articles, so the backfill (--since) covers these ten only.
    since = datetime.now(UTC) - timedelta(days=2)
    ids = await ingest(wdeps, make_articles(10, start=since))
    await run_burst(wdeps)
    old_model = await wdeps.pool.fetchval("select sentiment_model from articles where id = $1", ids[0])

    progress = [p async for p in job_service.enqueue_rescore(wdeps, model=f"{old_model}-next", since=since)]
    assert progress and progress[-1].enqueued == 10
    await run_burst(wdeps, path=SHIFTED)
    rows = await wdeps.pool.fetch("select sentiment_model from articles where id = any($1::bigint[])", ids)
    assert {r["sentiment_model"] for r in rows} == {f"{old_model}-next"}
    history = await wdeps.pool.fetch(
        "select model, count(*) as n from article_sentiment"
        " where article_id = any($1::bigint[]) group by model",
        ids,
    )
    assert {r["model"]: r["n"] for r in history} == {old_model: 10, f"{old_model}-next": 10}
    await assert_buckets_match_source(wdeps.pool)

    # A late job of the older model (a retry from before the deployment) must not take the current
    # columns back: "newest" is registration order, not whoever wrote last.
    after_rescore = await snapshot(wdeps.pool, ids)
    await wdeps.pool.execute("insert into score_jobs (article_id) select unnest($1::bigint[])", ids)
    await run_burst(wdeps)
    assert await snapshot(wdeps.pool, ids) == after_rescore


async def test_poison_article_is_dead_lettered_and_retry_failed_requeues(
    wdeps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = "POISON-in-process"
    monkeypatch.setenv("TICKERTONE_TEST_POISON_MARKER", marker)
    deps = Deps(settings=wdeps.settings.model_copy(update={"worker_max_attempts": 3}), pool=wdeps.pool)
    ids = await ingest(deps, make_articles(10, poison={4: marker}))
    await run_burst(deps)
    assert await scored_count(deps.pool, ids) == 9
    job = await deps.pool.fetchrow(
        "select id, status, attempts, max_attempts, last_error from score_jobs where article_id = $1", ids[4]
    )
    assert (job["status"], job["attempts"], job["max_attempts"]) == ("failed", 3, 3)
    assert marker in job["last_error"]
    assert await deps.pool.fetchval("select status from articles where id = $1", ids[4]) == "failed"
    failed = await job_service.list_failed_jobs(deps)
    assert job["id"] in {j.id for j in failed}
    assert (await job_service.get_queue_stats(deps)).failed >= 1

    monkeypatch.delenv("TICKERTONE_TEST_POISON_MARKER")
    assert await job_service.retry_failed_jobs(deps, job_ids=[job["id"]]) == 1
    await run_burst(deps)
    assert await scored_count(deps.pool, ids) == 10


@pytest.mark.skipif(not real_scorer_available(), reason="the scoring model is not packaged yet")
async def test_seed_article_is_stored_with_its_ticker_and_events(wdeps: Deps) -> None:
    """What the worker promises for the reference article; the score band itself is tested in scoring."""
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    [article_id] = await ingest(
        wdeps,
        [
            ArticleIn(
                source="worker-tests",
                title="Lumen Technologies to acquire Alkira",
                body=text.strip(),
                published_at="2025-05-06T12:00:00Z",
            )
        ],
    )
    await run_burst(wdeps)
    row = await wdeps.pool.fetchrow(
        "select status, sentiment_score, sentiment_label, sentiment_model from articles where id = $1",
        article_id,
    )
    assert row["status"] == "scored" and row["sentiment_model"]
    assert row["sentiment_label"] == label_of(row["sentiment_score"])
    lumn = await wdeps.pool.fetchrow(
        "select relevance, score, highlights from article_tickers where article_id = $1 and symbol = 'LUMN'",
        article_id,
    )
    assert lumn is not None and lumn["score"] is not None and lumn["highlights"]
    types = {
        r["type"]
        for r in await wdeps.pool.fetch(
            "select type from events where article_id = $1 and model = $2", article_id, row["sentiment_model"]
        )
    }
    assert {"acquisition", "earnings", "guidance"} <= types


async def test_stop_releases_claimed_batches_that_have_not_started(
    wdeps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKERTONE_TEST_SCORE_DELAY_MS", "100")
    deps = Deps(settings=wdeps.settings.model_copy(update={"worker_batch_size": 4}), pool=wdeps.pool)
    ids = await ingest(deps, make_articles(16))
    pool = ScorerPool(tickers=TICKERS, concurrency=1, mode="thread", path=SCORER)
    await asyncio.get_running_loop().run_in_executor(None, pool.start)
    worker = Worker(deps, pool)
    task = asyncio.create_task(worker.run())

    async def two_batches_claimed() -> bool:
        running: int = await deps.pool.fetchval(
            "select count(*) from score_jobs where article_id = any($1::bigint[]) and status = 'running'", ids
        )
        return running == 8

    try:
        await wait_until(two_batches_claimed, timeout_s=10, every_s=0.02)
        worker.stop()
        stats = await asyncio.wait_for(task, 10)
    finally:
        pool.shutdown(wait=True)
    # One batch was scoring and finished; the one queued behind it went back without using an attempt.
    assert stats.stored == 4 and stats.released == 4
    jobs = await deps.pool.fetch(
        "select status, attempts, count(*) as n from score_jobs where article_id = any($1::bigint[])"
        " group by 1, 2",
        ids,
    )
    assert {(r["status"], r["attempts"]): r["n"] for r in jobs} == {("done", 1): 4, ("queued", 0): 12}
    await run_burst(deps)
    assert await scored_count(deps.pool, ids) == 16
