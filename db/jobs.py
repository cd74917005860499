"""SQL for the scoring queue (``score_jobs``): claim, heartbeat, release, retry, dead-letter, stats.

The queue is hand-rolled on the table ingest already writes (see ``worker/__init__.py`` for why not a
library). Every state change is one statement, so a crash between two of them loses nothing: a job is
always ``queued``, ``running`` under a heartbeat, ``done`` or ``failed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from core.records import QueueStats, ScoreJob

CHANNEL = "score_jobs"


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    id: int
    article_id: int
    model: str | None
    attempts: int
    max_attempts: int


# SKIP LOCKED lets any number of workers claim at once without waiting on each other's rows. A job with
# an explicit model waits for a worker running that model; a null model means "whatever is current".
# The attempt is counted at claim time, so a job that kills its worker (OOM, segfault) still ends up
# dead-lettered instead of crash-looping forever.
_CLAIM = """
with picked as (
    select id from score_jobs
    where status = 'queued' and run_after <= now() and (model is null or model = $2)
    order by priority desc, run_after, id
    limit $1
    for update skip locked
)
update score_jobs j
set status = 'running', attempts = j.attempts + 1, max_attempts = $4, locked_by = $3,
    locked_at = now(), heartbeat_at = now()
from picked where j.id = picked.id
returning j.id, j.article_id, j.model, j.attempts, j.max_attempts
"""


async def claim_jobs(
    conn: asyncpg.Connection, *, limit: int, model: str, worker_id: str, max_attempts: int
) -> list[ClaimedJob]:
    rows = await conn.fetch(_CLAIM, limit, model, worker_id, max_attempts)
    jobs = [
        ClaimedJob(
            id=r["id"],
            article_id=r["article_id"],
            model=r["model"],
            attempts=r["attempts"],
            max_attempts=r["max_attempts"],
        )
        for r in rows
    ]
    return sorted(jobs, key=lambda j: j.id)


_HEARTBEAT = """
update score_jobs set heartbeat_at = now()
where id = any($1::bigint[]) and locked_by = $2 and status = 'running'
"""


async def heartbeat_jobs(conn: asyncpg.Connection, *, job_ids: Sequence[int], worker_id: str) -> int:
    status = await conn.execute(_HEARTBEAT, list(job_ids), worker_id)
    return int(status.split()[-1])


# Releasing is for jobs this worker claimed but never ran (shutdown, lost database): the attempt
# taken at claim time is given back, since the article did nothing wrong.
_RELEASE = """
update score_jobs
set status = 'queued', attempts = greatest(attempts - 1, 0), locked_by = null, locked_at = null,
    heartbeat_at = null, run_after = now()
where id = any($1::bigint[]) and locked_by = $2 and status = 'running'
"""


async def release_jobs(conn: asyncpg.Connection, *, job_ids: Sequence[int], worker_id: str) -> int:
    if not job_ids:
        return 0
    async with conn.transaction():
        status = await conn.execute(_RELEASE, list(job_ids), worker_id)
        await conn.execute("select pg_notify($1, '')", CHANNEL)
    return int(status.split()[-1])


# Exponential backoff: base * 2^(attempts-1), capped. Out of attempts: dead-letter, and mark a
# still-unscored article failed so readers see why it has no score (a scored article stays scored).
_FAIL = """
with job as (
    update score_jobs
    set status = case when attempts >= max_attempts then 'failed' else 'queued' end,
        run_after = now() + least($3 * power(2, greatest(attempts - 1, 0)), $4) * interval '1 second',
        finished_at = case when attempts >= max_attempts then now() end,
        last_error = $2, locked_by = null, locked_at = null, heartbeat_at = null
    where id = $1 and status = 'running' and locked_by = $5
    returning article_id, status, run_after
), article as (
    update articles a set status = 'failed'
    from job where a.id = job.article_id and job.status = 'failed' and a.status = 'pending'
    returning a.id
)
select status, run_after, (select id from article) as failed_article from job
"""


@dataclass(frozen=True, slots=True)
class FailedAttempt:
    status: str  # 'queued' (a retry at run_after) or 'failed' (dead-lettered)
    run_after: datetime
    # The article this dead letter turned from pending to failed, if it did: readers must see it.
    failed_article: int | None


async def fail_job(
    conn: asyncpg.Connection,
    *,
    job_id: int,
    worker_id: str,
    error: str,
    backoff_base_s: float,
    backoff_max_s: float,
) -> FailedAttempt | None:
    """Schedule a retry or dead-letter; None if we no longer own the job."""
    row = await conn.fetchrow(_FAIL, job_id, error[:4000], backoff_base_s, backoff_max_s, worker_id)
    if row is None:
        return None
    return FailedAttempt(row["status"], row["run_after"], row["failed_article"])


# Any worker may run this: it re-queues jobs whose owner stopped heartbeating (kill -9, lost host).
# The attempt stays counted, so a job that keeps killing workers is dead-lettered in the end.
_RECLAIM = """
with stale as (
    update score_jobs
    set status = case when attempts >= max_attempts then 'failed' else 'queued' end,
        finished_at = case when attempts >= max_attempts then now() end,
        run_after = now(),
        last_error = 'worker ' || coalesce(locked_by, '?') || ' stopped heartbeating',
        locked_by = null, locked_at = null, heartbeat_at = null
    where status = 'running' and heartbeat_at < now() - $1 * interval '1 second'
    returning id, article_id, status
), article as (
    update articles a set status = 'failed'
    from stale where a.id = stale.article_id and stale.status = 'failed' and a.status = 'pending'
    returning a.id
)
select (select count(*) from stale) as reclaimed,
       coalesce((select array_agg(id order by id) from article), '{}') as failed_articles
"""


async def reclaim_stale_jobs(conn: asyncpg.Connection, *, timeout_s: float) -> tuple[int, list[int]]:
    """(jobs re-queued or dead-lettered, articles those dead letters turned from pending to failed)."""
    row = await conn.fetchrow(_RECLAIM, timeout_s)
    assert row is not None
    if row["reclaimed"]:
        await conn.execute("select pg_notify($1, '')", CHANNEL)
    return int(row["reclaimed"]), list(row["failed_articles"])


_STATS = """
select
    count(*) filter (where status = 'queued' and run_after <= now()) as queued,
    count(*) filter (where status = 'queued' and run_after > now()) as delayed,
    count(*) filter (where status = 'running') as running,
    count(*) filter (where status = 'failed') as failed,
    count(*) filter (where status = 'done') as done,
    min(created_at) filter (where status = 'queued') as oldest_queued_at,
    count(distinct locked_by) filter (where status = 'running') as workers
from score_jobs
"""


async def get_queue_stats(conn: asyncpg.Connection) -> QueueStats:
    r = await conn.fetchrow(_STATS)
    return QueueStats(
        queued=r["queued"],
        delayed=r["delayed"],
        running=r["running"],
        failed=r["failed"],
        done=r["done"],
        oldest_queued_at=r["oldest_queued_at"],
        workers=r["workers"],
    )


_OPEN_FOR_MODEL = """
select count(*) from score_jobs
where status in ('queued', 'running') and (model is null or model = $1)
"""


async def count_open_jobs(conn: asyncpg.Connection, *, model: str) -> int:
    """Jobs a worker of ``model`` may still have to run, due now or later (burst mode stops at 0)."""
    count: int = await conn.fetchval(_OPEN_FOR_MODEL, model)
    return count


_JOB_COLUMNS = """
    id, article_id, model, status, attempts, max_attempts, run_after, locked_by, heartbeat_at, last_error,
    created_at, finished_at
"""


def _job(r: asyncpg.Record) -> ScoreJob:
    return ScoreJob(
        id=r["id"],
        article_id=r["article_id"],
        model=r["model"],
        status=r["status"],
        attempts=r["attempts"],
        max_attempts=r["max_attempts"],
        run_after=r["run_after"],
        locked_by=r["locked_by"],
        heartbeat_at=r["heartbeat_at"],
        last_error=r["last_error"],
        created_at=r["created_at"],
        finished_at=r["finished_at"],
    )


_FAILED = f"""
select {_JOB_COLUMNS} from score_jobs
where status = 'failed' and ($2::bigint is null or id < $2)
order by id desc limit $1
"""


async def list_failed_jobs(conn: asyncpg.Connection, *, limit: int, before_id: int | None) -> list[ScoreJob]:
    """Dead-lettered jobs, newest first; keyset on id."""
    return [_job(r) for r in await conn.fetch(_FAILED, limit, before_id)]


_FOR_ARTICLE = f"select {_JOB_COLUMNS} from score_jobs where article_id = $1 order by id"


async def list_article_jobs(conn: asyncpg.Connection, *, article_id: int) -> list[ScoreJob]:
    return [_job(r) for r in await conn.fetch(_FOR_ARTICLE, article_id)]


# A failed job goes back to queued with a fresh attempt budget. If an open job already exists for
# the same (article, model) the unique index forbids a second one, so that failed job stays as it is.
_RETRY_FAILED = """
with retried as (
    update score_jobs j
    set status = 'queued', attempts = 0, run_after = now(), finished_at = null
    where j.status = 'failed'
      and ($1::bigint[] is null or j.id = any($1::bigint[]))
      and not exists (
          select 1 from score_jobs o
          where o.article_id = j.article_id and coalesce(o.model, '') = coalesce(j.model, '')
            and o.status in ('queued', 'running'))
    returning j.article_id
), article as (
    update articles a set status = 'pending'
    from retried where a.id = retried.article_id and a.status = 'failed'
    returning a.id
)
select (select count(*) from retried) as retried,
       coalesce((select array_agg(id order by id) from article), '{}') as pending_articles
"""


async def retry_failed_jobs(
    conn: asyncpg.Connection, *, job_ids: Sequence[int] | None
) -> tuple[int, list[int]]:
    """Re-queue dead-lettered jobs (all of them when ``job_ids`` is None): (how many, the articles that
    went from failed back to pending)."""
    async with conn.transaction():
        row = await conn.fetchrow(_RETRY_FAILED, list(job_ids) if job_ids is not None else None)
        assert row is not None
        if row["retried"]:
            await conn.execute("select pg_notify($1, '')", CHANNEL)
    return int(row["retried"]), list(row["pending_articles"])


# Backfill: one job per article not yet scored by ``model``, skipping articles with an open job for it.
# Keyset over article id so a long backfill runs as many short statements with progress in between.
_ENQUEUE_RESCORE = """
with candidates as (
    select a.id from articles a
    where a.id > $2 and ($3::timestamptz is null or a.published_at >= $3)
      and not exists (select 1 from article_sentiment s where s.article_id = a.id and s.model = $1)
    order by a.id limit $4
), inserted as (
    insert into score_jobs (article_id, model, max_attempts)
    select id, $1, $5 from candidates order by id
    on conflict do nothing
    returning 1
)
select (select max(id) from candidates) as last_id, (select count(*) from candidates) as seen,
       (select count(*) from inserted) as enqueued
"""


async def enqueue_rescore_chunk(
    conn: asyncpg.Connection,
    *,
    model: str,
    after_id: int,
    since: datetime | None,
    limit: int,
    max_attempts: int,
) -> tuple[int | None, int, int]:
    """Returns (last article id seen or None when done, articles seen, jobs enqueued)."""
    r = await conn.fetchrow(_ENQUEUE_RESCORE, model, after_id, since, limit, max_attempts)
    return r["last_id"], r["seen"], r["enqueued"]


_RESCORE_TOTAL = """
select count(*) from articles a
where ($2::timestamptz is null or a.published_at >= $2)
  and not exists (select 1 from article_sentiment s where s.article_id = a.id and s.model = $1)
"""


async def count_rescore_candidates(conn: asyncpg.Connection, *, model: str, since: datetime | None) -> int:
    count: int = await conn.fetchval(_RESCORE_TOTAL, model, since)
    return count


_MODEL_PROGRESS = """
select count(*) filter (where status in ('queued', 'running')) as open,
       count(*) filter (where status = 'done') as done,
       count(*) filter (where status = 'failed') as failed
from score_jobs where model = $1
"""


async def get_model_progress(conn: asyncpg.Connection, *, model: str) -> tuple[int, int, int]:
    """(open, done, failed) jobs that name ``model`` explicitly, as a backfill creates them."""
    r = await conn.fetchrow(_MODEL_PROGRESS, model)
    return r["open"], r["done"], r["failed"]
