"""Scoring-queue use cases for operators: depth, the dead-letter list, retries and re-score backfills."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from core.errors import InvalidInput
from core.records import QueueStats, ScoreJob
from db import jobs as db_jobs
from services.deps import Deps
from services.invalidation import invalidate

MAX_FAILED_PAGE = 100


async def get_queue_stats(deps: Deps) -> QueueStats:
    async with deps.connection() as conn:
        return await db_jobs.get_queue_stats(conn)


async def list_failed_jobs(deps: Deps, *, limit: int = 50, before_id: int | None = None) -> list[ScoreJob]:
    if not 1 <= limit <= MAX_FAILED_PAGE:
        raise InvalidInput(
            f"limit must be between 1 and {MAX_FAILED_PAGE}", field="limit", code="out_of_range"
        )
    async with deps.connection() as conn:
        return await db_jobs.list_failed_jobs(conn, limit=limit, before_id=before_id)


async def list_article_jobs(deps: Deps, *, article_id: int) -> list[ScoreJob]:
    async with deps.connection() as conn:
        return await db_jobs.list_article_jobs(conn, article_id=article_id)


async def retry_failed_jobs(deps: Deps, *, job_ids: Sequence[int] | None = None) -> int:
    """Re-queue dead-lettered jobs with a fresh attempt budget; all of them when ``job_ids`` is None."""
    async with deps.connection() as conn:
        count, pending = await db_jobs.retry_failed_jobs(conn, job_ids=job_ids)
    await _status_changed(deps, pending)
    return count


async def _status_changed(deps: Deps, article_ids: Sequence[int]) -> None:
    """Articles whose status a queue change rewrote (pending <-> failed): cached reads show the status,
    so their entries must go like those of any other write."""
    if article_ids:
        await invalidate(deps, article_ids=article_ids, symbols=())


@dataclass(frozen=True, slots=True)
class RescoreProgress:
    seen: int
    enqueued: int
    total: int


async def enqueue_rescore(
    deps: Deps, *, model: str, since: datetime | None = None, chunk: int = 1000
) -> AsyncIterator[RescoreProgress]:
    """Enqueue one job per article not yet scored by ``model``, yielding progress after each chunk.

    Jobs name the model, so only workers running that version claim them; older rows stay as history.
    """
    if not model.strip():
        raise InvalidInput("model must not be empty", field="model")
    async with deps.connection() as conn:
        total = await db_jobs.count_rescore_candidates(conn, model=model, since=since)
    seen = enqueued = 0
    after = 0
    while True:
        # One short transaction per chunk: workers start on the first chunk while the rest is enqueued.
        async with deps.connection() as conn:
            last, n, added = await db_jobs.enqueue_rescore_chunk(
                conn,
                model=model,
                after_id=after,
                since=since,
                limit=chunk,
                max_attempts=deps.settings.worker_max_attempts,
            )
        if last is None:
            break
        after, seen, enqueued = last, seen + n, enqueued + added
        yield RescoreProgress(seen=seen, enqueued=enqueued, total=max(total, seen))


async def get_model_progress(deps: Deps, *, model: str) -> tuple[int, int, int]:
    """(open, done, failed) jobs of a backfill for ``model``."""
    async with deps.connection() as conn:
        return await db_jobs.get_model_progress(conn, model=model)


# --- Used by the worker itself ---


async def claim_jobs(deps: Deps, *, limit: int, model: str, worker_id: str) -> list[db_jobs.ClaimedJob]:
    async with deps.connection() as conn:
        return await db_jobs.claim_jobs(
            conn,
            limit=limit,
            model=model,
            worker_id=worker_id,
            max_attempts=deps.settings.worker_max_attempts,
        )


async def fail_job(deps: Deps, *, job_id: int, worker_id: str, error: str) -> tuple[str, datetime] | None:
    """Schedule a retry or dead-letter: (new status, run_after); None if we no longer own the job."""
    async with deps.connection() as conn:
        attempt = await db_jobs.fail_job(
            conn,
            job_id=job_id,
            worker_id=worker_id,
            error=error,
            backoff_base_s=deps.settings.worker_backoff_base_s,
            backoff_max_s=deps.settings.worker_backoff_max_s,
        )
    if attempt is None:
        return None
    if attempt.failed_article is not None:
        await _status_changed(deps, [attempt.failed_article])
    return attempt.status, attempt.run_after


async def release_jobs(deps: Deps, *, job_ids: Sequence[int], worker_id: str) -> int:
    async with deps.connection() as conn:
        return await db_jobs.release_jobs(conn, job_ids=job_ids, worker_id=worker_id)


async def keep_alive(deps: Deps, *, job_ids: Sequence[int], worker_id: str) -> int:
    """Heartbeat our running jobs, then re-queue any worker's jobs whose heartbeat went stale."""
    async with deps.connection() as conn:
        if job_ids:
            await db_jobs.heartbeat_jobs(conn, job_ids=job_ids, worker_id=worker_id)
        count, failed = await db_jobs.reclaim_stale_jobs(
            conn, timeout_s=deps.settings.worker_heartbeat_timeout_s
        )
    await _status_changed(deps, failed)
    return count


async def count_open_jobs(deps: Deps, *, model: str) -> int:
    async with deps.connection() as conn:
        return await db_jobs.count_open_jobs(conn, model=model)
