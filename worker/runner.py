"""The worker loop: claim batches, score them in the pool, store each article, heartbeat, shut down cleanly.

Up to ``2 x concurrency`` batches are claimed at once: one scoring in each pool process and one waiting
behind it, so a pool process never idles while its last batch is being stored. When the queue is shallow a
claim returns one job and latency stays that of a single article; when it is deep, claims fill whole batches.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import contextlib
import functools
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg

from core.errors import Unavailable
from core.records import ArticleScore
from db import tickers as db_tickers
from db.jobs import CHANNEL as JOBS_CHANNEL
from db.jobs import ClaimedJob
from db.listener import listen
from db.pool import CONNECTION_ERRORS
from services import jobs as job_service
from services import scores as score_service
from services.deps import Deps
from services.scores import StoredScore
from worker.notifier import Notifier
from worker.scorer import ScoreInput, ScorerPool

log = logging.getLogger(__name__)

# Connection-level trouble: the job is not at fault, so it is released (or reclaimed), never failed.
_DB_DOWN: tuple[type[BaseException], ...] = (Unavailable, *CONNECTION_ERRORS, TimeoutError)


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(eq=False)
class _Batch:
    jobs: list[ClaimedJob]
    future: cf.Future[list[ArticleScore | str]] | None = None
    task: asyncio.Task[None] | None = None
    # Job ids still ours to finish, fail or release.
    open_ids: set[int] = field(default_factory=set)


@dataclass
class WorkerStats:
    stored: int = 0
    failed: int = 0
    released: int = 0
    batches: int = 0


class Worker:
    def __init__(
        self, deps: Deps, pool: ScorerPool, *, burst: bool = False, worker_id: str | None = None
    ) -> None:
        self.deps = deps
        self.settings = deps.settings
        self.pool = pool
        self.burst = burst
        self.worker_id = worker_id or new_worker_id()
        self.stats = WorkerStats()
        self.notifier = Notifier(deps)
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._batches: set[_Batch] = set()
        # Jobs we hold but could not release because Postgres was gone; retried by the heartbeat.
        self._orphans: set[int] = set()
        self._max_batches = 2 * pool.concurrency
        # Set when the grace period ran out with scoring still running in the pool.
        self.abandoned = False

    @property
    def model(self) -> str:
        return self.pool.model_version

    def stop(self) -> None:
        """Finish in-flight work, release the rest, return from ``run`` (signal handlers call this)."""
        if not self._stopping.is_set():
            log.info("stopping: finishing in-flight batches (grace %.1fs)", self.settings.worker_grace_s)
        self._stopping.set()
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> WorkerStats:
        await self._until_db(lambda: score_service.register_model(self.deps, model=self.model))
        log.info("worker %s running model %s", self.worker_id, self.model)
        self.notifier.start()
        background = [
            asyncio.create_task(
                listen(
                    self.settings.database_url.get_secret_value(),
                    channel=JOBS_CHANNEL,
                    on_notify=self.wake,
                    # Jobs may have arrived while nothing was listening.
                    on_connect=lambda _n: self.wake(),
                    stopping=self._stopping,
                ),
                name="listen",
            ),
            asyncio.create_task(self._heartbeat(), name="heartbeat"),
            asyncio.create_task(self._refresh_tickers(), name="refresh-tickers"),
        ]
        try:
            await self._loop()
        finally:
            await self._shutdown()
            self._stopping.set()
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            await self.notifier.close(timeout_s=2.0)
        return self.stats

    async def _until_db(self, step: Callable[[], Awaitable[None]]) -> None:
        backoff = 0.2
        while True:
            try:
                await step()
                return
            except _DB_DOWN as exc:
                log.warning("database unavailable (%s); retrying in %.1fs", type(exc).__name__, backoff)
                await self._nap(backoff)
                if self._stopping.is_set():
                    return
                backoff = min(backoff * 2, 5.0)

    async def _nap(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def _loop(self) -> None:
        backoff = 0.2
        while not self._stopping.is_set():
            if len(self._batches) >= self._max_batches:
                await self._nap(self.settings.worker_poll_s)
                self._wake.clear()
                continue
            # Cleared before the claim: a notification that lands during it wakes the next nap at once.
            self._wake.clear()
            try:
                jobs = await job_service.claim_jobs(
                    self.deps,
                    limit=self.settings.worker_batch_size,
                    model=self.model,
                    worker_id=self.worker_id,
                )
                if (
                    not jobs
                    and self.burst
                    and not self._batches
                    and await job_service.count_open_jobs(self.deps, model=self.model) == 0
                ):
                    return
            except _DB_DOWN as exc:
                log.warning("claim failed (%s); retrying in %.1fs", type(exc).__name__, backoff)
                await self._nap(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            backoff = 0.2
            if not jobs:
                await self._nap(self.settings.worker_poll_s)
                continue
            batch = _Batch(jobs=jobs, open_ids={j.id for j in jobs})
            batch.task = asyncio.create_task(self._run_batch(batch), name=f"batch-{jobs[0].id}")
            self._batches.add(batch)
            self.stats.batches += 1

    async def _run_batch(self, batch: _Batch) -> None:
        by_id = {j.id: j for j in batch.jobs}
        try:
            articles = await score_service.list_articles_to_score(
                self.deps, article_ids=[j.article_id for j in batch.jobs]
            )
            # An article deleted after the claim took its job with it (FK cascade): nothing to finish.
            scored_jobs = [j for j in batch.jobs if j.article_id in articles]
            batch.open_ids -= {j.id for j in batch.jobs if j.article_id not in articles}
            items = [
                ScoreInput(article_id=a.id, title=a.title, body=a.body, tickers=a.tickers)
                for a in (articles[j.article_id] for j in scored_jobs)
            ]
            if self._stopping.is_set():
                await self._release(batch)
                return
            batch.future = self.pool.submit(items)
            try:
                outcomes = await asyncio.wrap_future(batch.future)
            except asyncio.CancelledError:
                if batch.future.cancelled():  # shutdown cancelled it before a pool process took it
                    await self._release(batch)
                    return
                raise
            stored: list[StoredScore] = []
            for job, outcome in zip(scored_jobs, outcomes, strict=True):
                if isinstance(outcome, str):
                    await self._fail(job, outcome)
                else:
                    try:
                        result = await score_service.store_score(self.deps, result=outcome, job_id=job.id)
                    except asyncpg.PostgresError as exc:
                        # The data broke a constraint (or similar): that is this article's problem.
                        await self._fail(job, f"store failed: {type(exc).__name__}: {exc}")
                        continue
                    if result is not None:
                        stored.append(result)
                    self.stats.stored += 1
                batch.open_ids.discard(job.id)
            self.notifier.add(stored)
        except _DB_DOWN as exc:
            log.warning("batch abandoned, database unavailable (%s)", type(exc).__name__)
            self._orphans |= batch.open_ids
            batch.open_ids.clear()
        except cf.BrokenExecutor as exc:
            log.error("scorer pool broke (%s); restarting it", exc)
            self.pool.restart()
            for job_id in sorted(batch.open_ids):
                await self._fail(by_id[job_id], f"scorer process died: {exc}")
        finally:
            self._batches.discard(batch)
            self._wake.set()

    async def _fail(self, job: ClaimedJob, error: str) -> None:
        try:
            outcome = await job_service.fail_job(
                self.deps, job_id=job.id, worker_id=self.worker_id, error=error
            )
        except _DB_DOWN:
            self._orphans.add(job.id)
            return
        self.stats.failed += 1
        if outcome is None:
            return
        status, run_after = outcome
        if status == "failed":
            log.error(
                "job %s (article %s) dead-lettered after %s attempts: %s",
                job.id,
                job.article_id,
                job.attempts,
                error,
            )
        else:
            log.warning(
                "job %s (article %s) attempt %s failed: %s", job.id, job.article_id, job.attempts, error
            )
            # Wake exactly when the retry is due instead of waiting for the next poll.
            delay = max(0.0, run_after.timestamp() - time.time())
            asyncio.get_running_loop().call_later(delay, self._wake.set)

    async def _release(self, batch: _Batch) -> None:
        ids = sorted(batch.open_ids)
        batch.open_ids.clear()
        try:
            self.stats.released += await job_service.release_jobs(
                self.deps, job_ids=ids, worker_id=self.worker_id
            )
        except _DB_DOWN:
            self._orphans.update(ids)

    async def _heartbeat(self) -> None:
        while not self._stopping.is_set():
            await asyncio.sleep(self.settings.worker_heartbeat_s)
            running = sorted({i for b in self._batches for i in b.open_ids})
            try:
                reclaimed = await job_service.keep_alive(self.deps, job_ids=running, worker_id=self.worker_id)
                if reclaimed:
                    log.warning("re-queued %d jobs of workers that stopped heartbeating", reclaimed)
                    self._wake.set()
                if self._orphans:
                    orphans = sorted(self._orphans)
                    await job_service.release_jobs(self.deps, job_ids=orphans, worker_id=self.worker_id)
                    self._orphans.difference_update(orphans)
            except _DB_DOWN as exc:
                log.warning("heartbeat failed (%s)", type(exc).__name__)

    async def _refresh_tickers(self) -> None:
        """Reload the scorer when the reference tickers change, so new companies are linked without a
        restart. The new pool takes the next batches; the old one finishes what it holds, then stops."""
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.settings.worker_tickers_refresh_s)
            if self._stopping.is_set():
                return
            try:
                async with self.deps.connection() as conn:
                    tickers = tuple(await db_tickers.list_ticker_refs(conn))
            except _DB_DOWN as exc:
                log.warning("reference tickers not re-read (%s)", type(exc).__name__)
                continue
            if tickers == self.pool.tickers:
                continue
            fresh = self.pool.replacement(tickers)
            try:
                version = await loop.run_in_executor(None, fresh.start)
            except Exception:
                log.exception("scorer reload for the new reference tickers failed; keeping the old one")
                fresh.shutdown(wait=False)
                continue
            if version != self.model or self._stopping.is_set():
                if version != self.model:
                    log.error("reloaded scorer is %s, not %s; keeping the old one", version, self.model)
                fresh.shutdown(wait=False)
                continue
            old, self.pool = self.pool, fresh
            log.info("reference tickers changed (%d now): scorer reloaded", len(tickers))
            await loop.run_in_executor(None, functools.partial(old.shutdown, wait=True))

    async def _shutdown(self) -> None:
        batches = list(self._batches)
        # Batches still waiting for a pool process have not started: give them back untouched.
        for batch in batches:
            if batch.future is not None:
                batch.future.cancel()
        tasks = [b.task for b in batches if b.task is not None]
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=self.settings.worker_grace_s)
            if pending:
                self.abandoned = True
                log.warning("grace period over: releasing %d unfinished batches", len(pending))
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
                for batch in batches:
                    if batch.open_ids:
                        await self._release(batch)
        if self._orphans:
            with contextlib.suppress(*_DB_DOWN):
                await job_service.release_jobs(
                    self.deps, job_ids=sorted(self._orphans), worker_id=self.worker_id
                )
                self._orphans.clear()
