"""Command line: run the worker, show the queue, re-queue dead letters, enqueue a re-score backfill."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from core.errors import InvalidInput, Unavailable
from core.settings import Settings
from db import tickers as db_tickers
from services import jobs as job_service
from services import scores as score_service
from services.deps import Deps, open_deps
from worker.runner import Worker
from worker.scorer import ScorerPool

log = logging.getLogger("worker")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m worker", description="Tickertone scoring worker")
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="consume scoring jobs (the default)")
    run.add_argument("--burst", action="store_true", help="exit once no job is left to run")
    sub.add_parser("status", help="queue depth, in-flight and dead-lettered jobs")
    retry = sub.add_parser("retry-failed", help="re-queue dead-lettered jobs")
    retry.add_argument("--job", type=int, action="append", dest="jobs", help="only this job id (repeatable)")
    rescore = sub.add_parser("rescore", help="enqueue a backfill for a model version")
    rescore.add_argument("--model", required=True, help="model version that must score the articles")
    rescore.add_argument("--since", type=_date, help="only articles published at or after this date")
    rescore.add_argument("--wait", action="store_true", help="follow the backfill until it is finished")
    return parser


def _date(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date: {value!r}") from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@contextlib.asynccontextmanager
async def _deps(settings: Settings, *, max_size: int = 3) -> AsyncIterator[Deps]:
    async with open_deps(settings, min_size=1, max_size=max_size) as deps:
        yield deps


async def _run(settings: Settings, *, burst: bool) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    worker: Worker | None = None

    def on_signal() -> None:
        stop.set()
        if worker is not None:
            worker.stop()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)
    max_size = 2 * settings.worker_concurrency + 4
    async with contextlib.AsyncExitStack() as stack:
        while not stop.is_set():
            try:
                deps = await stack.enter_async_context(open_deps(settings, min_size=1, max_size=max_size))
                async with deps.connection() as conn:
                    tickers = await db_tickers.list_ticker_refs(conn)
                break
            except Unavailable as exc:
                await stack.aclose()
                log.warning("%s; retrying", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)
        if stop.is_set():
            return 0
        pool = ScorerPool(
            tickers=tickers, concurrency=settings.worker_concurrency, mode=settings.worker_executor
        )
        # Loading the model blocks; a thread keeps the loop (and signal handling) alive meanwhile.
        version = await loop.run_in_executor(None, pool.start)
        log.info(
            "scorer %s loaded in %d %s(es), %d reference tickers",
            version,
            pool.concurrency,
            pool.mode,
            len(tickers),
        )
        worker = Worker(deps, pool, burst=burst)
        if stop.is_set():
            worker.stop()
        try:
            stats = await worker.run()
        finally:
            # worker.pool: the worker swaps in a new pool when the reference tickers change.
            worker.pool.shutdown(wait=not worker.abandoned)
        log.info(
            "worker exiting: %d stored, %d failed attempts, %d released, %d batches",
            stats.stored,
            stats.failed,
            stats.released,
            stats.batches,
        )
    return 0


async def _status(settings: Settings) -> int:
    async with _deps(settings) as deps:
        stats = await job_service.get_queue_stats(deps)
        failed = await job_service.list_failed_jobs(deps, limit=10)
        models = await score_service.list_models(deps)
    oldest = stats.oldest_queued_at.isoformat() if stats.oldest_queued_at else "-"
    print(f"queued    {stats.queued:>8}  (ready now; oldest {oldest})")
    print(f"delayed   {stats.delayed:>8}  (waiting for a retry backoff)")
    print(f"running   {stats.running:>8}  (in flight on {stats.workers} worker(s))")
    print(f"failed    {stats.failed:>8}  (dead-lettered; `python -m worker retry-failed` re-queues)")
    print(f"done      {stats.done:>8}")
    print(f"models    {', '.join(models) or '-'}  (newest last)")
    for job in failed:
        error = (job.last_error or "").splitlines()[0][:100] if job.last_error else ""
        print(
            f"  job {job.id} article {job.article_id} model {job.model or '-'}"
            f" attempts {job.attempts}: {error}"
        )
    return 0


async def _retry(settings: Settings, jobs: list[int] | None) -> int:
    async with _deps(settings) as deps:
        count = await job_service.retry_failed_jobs(deps, job_ids=jobs)
    print(f"re-queued {count} failed job(s)")
    return 0


async def _rescore(settings: Settings, *, model: str, since: datetime | None, wait: bool) -> int:
    async with _deps(settings) as deps:
        if model not in await score_service.list_models(deps):
            print(f"note: no worker has run model {model} yet; its jobs wait until one does", file=sys.stderr)
        last = None
        async for progress in job_service.enqueue_rescore(deps, model=model, since=since):
            last = progress
            print(f"enqueued {progress.enqueued} job(s); scanned {progress.seen}/{progress.total} article(s)")
        if last is None:
            print(f"nothing to do: every matching article already has a {model} score")
        while wait:
            open_jobs, done, failed = await job_service.get_model_progress(deps, model=model)
            print(f"{model}: {done} done, {open_jobs} open, {failed} failed")
            if open_jobs == 0:
                break
            await asyncio.sleep(2.0)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    command = args.command or "run"
    try:
        if command == "run":
            return asyncio.run(_run(settings, burst=getattr(args, "burst", False)))
        if command == "status":
            return asyncio.run(_status(settings))
        if command == "retry-failed":
            return asyncio.run(_retry(settings, args.jobs))
        return asyncio.run(_rescore(settings, model=args.model, since=args.since, wait=args.wait))
    except Unavailable as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except InvalidInput as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
