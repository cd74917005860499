"""A bump lost by one writer is announced over Postgres, and every API process heals the cache itself."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable

import asyncpg
import pytest_asyncio

from api.app import create_app
from cache import keys
from cache.pipelined import connect_url
from cache.store import Cache, create_client
from cache.tracking import tracker_for_url
from core.settings import Settings
from db import invalidations as db_invalidations
from services.deps import Deps
from services.invalidation import follow_lost_bumps, invalidate
from services.reads_cache import Entry, Miss, article_dependencies, reads_cache

_LISTENING = f'LISTEN "{db_invalidations.CHANNEL}"'


async def _until(check: Callable[[], bool], *, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


async def _listeners(pool: asyncpg.Pool) -> set[int]:
    rows = await pool.fetch(
        "select pid from pg_stat_activity where datname = current_database() and query = $1", _LISTENING
    )
    return {r["pid"] for r in rows}


async def _new_listener(pool: asyncpg.Pool, before: set[int]) -> int:
    deadline = time.monotonic() + 5
    while not (new := await _listeners(pool) - before):
        assert time.monotonic() < deadline, "nothing started listening"
        await asyncio.sleep(0.01)
    return new.pop()


def _dead_redis_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"  # nothing listens there once the socket is closed


@pytest_asyncio.fixture
async def reader(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[Deps]:
    """An API process: a healthy Redis with local hits on, following lost-bump announcements."""
    url = settings.redis_url.get_secret_value()
    cache = Cache(create_client(url), fast=connect_url(url), tracker=tracker_for_url(url))
    deps = Deps(settings=settings, pool=pool, cache=cache)
    yield deps
    await cache.aclose()


@contextlib.asynccontextmanager
async def _following(deps: Deps, pool: asyncpg.Pool) -> AsyncIterator[int]:
    """The follower running; yields its listening backend's pid."""
    before = await _listeners(pool)
    stopping = asyncio.Event()
    task = asyncio.create_task(follow_lost_bumps(deps, stopping=stopping))
    try:
        yield await _new_listener(pool, before)
    finally:
        stopping.set()
        await asyncio.wait_for(task, 5)


async def test_a_bump_lost_by_another_writer_is_healed_before_any_entry_is_trusted(
    reader: Deps, settings: Settings, pool: asyncpg.Pool
) -> None:
    assert reader.cache is not None
    cached = reads_cache(reader)
    article_id = 10**9 + 21
    depends_on = article_dependencies([article_id])
    digest = uuid.uuid4().hex
    miss = await cached.get(digest, depends_on=depends_on)
    assert isinstance(miss, Miss)
    await cached.put(miss, b"the score before the write")
    assert isinstance(await cached.get(digest, depends_on=depends_on), Entry)
    epoch = await reader.cache.redis.get(keys.EPOCH_GENERATION)

    # A worker cut off from Redis (but not from Postgres) writes: its bump cannot land.
    writer = Deps(settings=settings, pool=pool, cache=Cache(create_client(_dead_redis_url())))
    try:
        async with _following(reader, pool):
            await invalidate(writer, article_ids=[article_id], symbols=[])
            assert writer.cache is not None and writer.cache.needs_heal
            await _until(lambda: reader.cache is not None and reader.cache.needs_heal)
            after = await cached.get(digest, depends_on=depends_on)  # heals first, then looks up
            assert isinstance(after, Miss) and after.key != miss.key
            assert not reader.cache.needs_heal
            assert await reader.cache.redis.get(keys.EPOCH_GENERATION) != epoch
    finally:
        assert writer.cache is not None
        await writer.cache.aclose()


async def test_a_landed_bump_announces_nothing(reader: Deps, pool: asyncpg.Pool) -> None:
    assert reader.cache is not None
    async with _following(reader, pool):
        await invalidate(reader, article_ids=[10**9 + 22], symbols=[])
        await asyncio.sleep(0.2)
        assert not reader.cache.needs_heal


async def test_a_reconnected_follower_heals_what_it_may_have_missed(reader: Deps, pool: asyncpg.Pool) -> None:
    assert reader.cache is not None
    async with _following(reader, pool) as pid:
        assert not reader.cache.needs_heal
        before = await _listeners(pool)
        await pool.execute("select pg_terminate_backend($1)", pid)
        await _new_listener(pool, before - {pid})
        await _until(lambda: reader.cache is not None and reader.cache.needs_heal)


async def test_the_api_follows_announcements(settings: Settings, pool: asyncpg.Pool) -> None:
    app = create_app(settings)
    before = await _listeners(pool)
    async with app.router.lifespan_context(app) as state:
        assert state is not None
        deps: Deps = state["deps"]
        assert deps.cache is not None
        await _new_listener(pool, before)
        assert not deps.cache.needs_heal
        await pool.execute("select pg_notify($1, '')", db_invalidations.CHANNEL)
        await _until(lambda: deps.cache is not None and deps.cache.needs_heal)
