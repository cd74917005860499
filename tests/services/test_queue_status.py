"""Queue changes that rewrite an article's status reach cached reads at once: a dead letter (the worker's
own, or one found by the stale-heartbeat reclaim) turns ``pending`` to ``failed``, an operator's retry
turns it back; each bumps the article's generation like any other write."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest_asyncio

from api.app import create_app
from cache.store import Cache, create_client
from core.records import ArticleIn
from core.settings import Settings
from services import jobs as job_service
from services.deps import Deps
from services.ingest import ingest_articles
from tests.api.conftest import serve

MODEL = "tt-queue-status-test"


@pytest_asyncio.fixture
async def qdeps(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[Deps]:
    # One attempt: the first failure dead-letters.
    tuned = settings.model_copy(update={"worker_max_attempts": 1})
    cache = Cache(create_client(settings.redis_url.get_secret_value()))
    try:
        yield Deps(settings=tuned, pool=pool, cache=cache)
    finally:
        await cache.aclose()


@pytest_asyncio.fixture
async def client(settings: Settings, auth_headers: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(create_app(settings), headers=auth_headers) as c:
        yield c


async def _pending_article(deps: Deps) -> int:
    (result,) = await ingest_articles(
        deps,
        articles=[
            ArticleIn(
                source="queue-status-test",
                external_id=uuid.uuid4().hex,
                title="Queue status",
                body="Nothing to score here.",
                published_at=datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
            )
        ],
    )
    return result.article.id


async def _claim(deps: Deps, article_id: int, worker_id: str) -> int:
    # Another test's jobs may be queued too: claim until ours comes up, release the others.
    while True:
        claimed = await job_service.claim_jobs(deps, limit=50, model=MODEL, worker_id=worker_id)
        assert claimed, "our job was never claimed"
        ours = [job.id for job in claimed if job.article_id == article_id]
        others = [job.id for job in claimed if job.article_id != article_id]
        if others:
            await job_service.release_jobs(deps, job_ids=others, worker_id=worker_id)
        if ours:
            return ours[0]


async def _status(client: httpx.AsyncClient, article_id: int, *, cached: bool) -> str:
    response = await client.get(f"/v1/articles/{article_id}")
    assert response.status_code == 200, response.text
    assert (response.headers["x-cache"] == "hit") is cached
    status: str = response.json()["status"]
    return status


async def test_a_dead_letter_and_its_retry_are_read_at_once(qdeps: Deps, client: httpx.AsyncClient) -> None:
    article_id = await _pending_article(qdeps)
    assert await _status(client, article_id, cached=False) == "pending"
    assert await _status(client, article_id, cached=True) == "pending"

    job_id = await _claim(qdeps, article_id, "w-queue-status")
    outcome = await job_service.fail_job(qdeps, job_id=job_id, worker_id="w-queue-status", error="boom")
    assert outcome is not None and outcome[0] == "failed"
    assert await _status(client, article_id, cached=False) == "failed"
    assert await _status(client, article_id, cached=True) == "failed"

    assert await job_service.retry_failed_jobs(qdeps, job_ids=[job_id]) == 1
    assert await _status(client, article_id, cached=False) == "pending"


async def test_a_retry_that_is_not_the_last_attempt_changes_nothing_cached(
    qdeps: Deps, client: httpx.AsyncClient
) -> None:
    deps = Deps(
        settings=qdeps.settings.model_copy(update={"worker_max_attempts": 2}),
        pool=qdeps.pool,
        cache=qdeps.cache,
    )
    article_id = await _pending_article(deps)
    await _status(client, article_id, cached=False)
    job_id = await _claim(deps, article_id, "w-queue-retry")
    outcome = await job_service.fail_job(deps, job_id=job_id, worker_id="w-queue-retry", error="flaky")
    assert outcome is not None and outcome[0] == "queued"
    # Nothing a reader sees changed, so the entry stays.
    assert await _status(client, article_id, cached=True) == "pending"


async def test_a_dead_letter_found_by_the_reclaim_is_read_at_once(
    qdeps: Deps, client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    article_id = await _pending_article(qdeps)
    assert await _status(client, article_id, cached=False) == "pending"
    job_id = await _claim(qdeps, article_id, "w-killed")
    # The worker that claimed it died long ago: its heartbeat is stale.
    await pool.execute("update score_jobs set heartbeat_at = now() - interval '1 hour' where id = $1", job_id)
    assert await job_service.keep_alive(qdeps, job_ids=[], worker_id="w-survivor") >= 1
    assert await pool.fetchval("select status from score_jobs where id = $1", job_id) == "failed"
    assert await _status(client, article_id, cached=False) == "failed"
