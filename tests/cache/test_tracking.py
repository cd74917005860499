"""Generations pushed by Redis: a copy held here is served with no I/O until a write moves its key, and
no acknowledged write, flush, dropped connection or silent Redis leaves a copy trusted."""

from __future__ import annotations

import asyncio
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import orjson
import pytest
import pytest_asyncio

from cache import keys
from cache.pipelined import Endpoint, PipelinedRedis, connect_url
from cache.responses import Entry, Miss, ResponseCache
from cache.store import Cache, create_client
from cache.tracking import GenerationTracker, tracker_for_url
from core.records import ArticleIn
from core.settings import Settings
from services.deps import Deps
from services.ingest import ingest_articles
from services.reads_cache import article_dependencies
from tests.faults._proxy import TcpProxy

ROOT = Path(__file__).resolve().parents[2]


async def _until(check: Callable[[], bool], *, timeout_s: float = 3.0) -> float:
    """Seconds until ``check()`` holds; fails the test after ``timeout_s``."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < timeout_s, "condition not reached in time"
        await asyncio.sleep(0.005)
    return time.monotonic() - start


@pytest_asyncio.fixture
async def reader(redis_url: str) -> AsyncIterator[Cache]:
    """An API process' cache: its hot-path client and a generation tracker, started and fresh."""
    made = Cache(create_client(redis_url), fast=connect_url(redis_url), tracker=tracker_for_url(redis_url))
    assert made.tracker is not None
    made.tracker.start()
    await _until(made.tracker.fresh)
    yield made
    await made.aclose()


@pytest_asyncio.fixture
async def writer(redis_url: str) -> AsyncIterator[Cache]:
    """Another process' cache (a worker): its own connections, no tracker."""
    made = Cache(create_client(redis_url))
    yield made
    await made.aclose()


class _Calls:
    """Counts the hot-path client's Redis commands."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = PipelinedRedis.execute

        async def counted(client: PipelinedRedis, *args: Any) -> Any:
            self.count += 1
            return await original(client, *args)

        monkeypatch.setattr(PipelinedRedis, "execute", counted)


async def test_a_known_copy_is_served_without_redis_until_another_process_bumps_it(
    reader: Cache, writer: Cache, monkeypatch: pytest.MonkeyPatch
) -> None:
    responses = ResponseCache(reader, ttl_s=60)
    article_id = 10**9 + int(uuid.uuid4().int % 10**6)
    depends_on = article_dependencies([article_id])
    digest = uuid.uuid4().hex
    miss = await responses.get(digest, depends_on=depends_on)
    assert isinstance(miss, Miss) and miss.key is not None
    stored = Entry.of(b'{"v": 1}')
    await responses.put(miss, stored)

    # The miss's lookup taught this process the generations, and the copy is kept under them.
    calls = _Calls(monkeypatch)
    for _ in range(50):
        assert await responses.get(digest, depends_on=depends_on) == stored
    assert calls.count == 0, "a current copy must not cost a Redis command"

    await writer.bump_articles(article_ids=[article_id], symbols=[])
    # Acknowledged: the push has been applied, so nothing known here still names the old key.
    assert reader.tracker is not None and reader.tracker.suffix(depends_on) is None
    after = await responses.get(digest, depends_on=depends_on)
    assert isinstance(after, Miss) and after.key != miss.key
    assert calls.count == 1


async def test_a_bump_in_this_process_forgets_before_it_returns(reader: Cache) -> None:
    assert reader.tracker is not None
    names = [keys.article_generation(10**9 + 11)]
    reader.tracker.learn(reader.tracker.token(), names, "5")
    assert reader.tracker.suffix(names) == "5"
    await reader.bump_articles(article_ids=[10**9 + 11], symbols=[])
    assert reader.tracker.suffix(names) is None


async def test_a_lookup_that_raced_a_bump_learns_nothing(reader: Cache, writer: Cache) -> None:
    tracker = reader.tracker
    assert tracker is not None
    names = [keys.article_generation(10**9 + 12)]
    token = tracker.token()  # a lookup is sent...
    await writer.bump_articles(article_ids=[10**9 + 12], symbols=[])  # ...a bump's push goes by...
    tracker.learn(token, names, "41")  # ...and its (old) reply arrives: not kept
    assert tracker.suffix(names) is None
    tracker.learn(tracker.token(), names, "42")
    assert tracker.suffix(names) == "42"


async def test_a_flush_forgets_everything(reader: Cache, redis_url: str) -> None:
    tracker = reader.tracker
    assert tracker is not None
    names = [keys.GLOBAL_GENERATION, keys.article_generation(10**9 + 13)]
    tracker.learn(tracker.token(), names, "1.2")
    assert tracker.suffix(names) == "1.2"
    other = create_client(redis_url)
    try:
        await other.flushdb()
        await other.ping()
    finally:
        await other.aclose()
    assert tracker.suffix(names) is None


async def test_a_dropped_connection_forgets_at_once_and_reconnects(reader: Cache, writer: Cache) -> None:
    tracker = reader.tracker
    assert tracker is not None
    names = [keys.GLOBAL_GENERATION]
    tracker.learn(tracker.token(), names, "7")
    assert tracker.client_id is not None
    await writer.redis.client_kill_filter(_id=str(tracker.client_id))
    await _until(lambda: not tracker.fresh(), timeout_s=1.0)
    assert tracker.suffix(names) is None and tracker.token() is None
    tracker.learn(0, names, "7")  # nothing is learnt while the connection is down
    await _until(tracker.fresh, timeout_s=2.0)
    assert tracker.connections == 2 and tracker.suffix(names) is None


async def test_a_dropped_connection_heals_before_any_entry_is_trusted(reader: Cache, writer: Cache) -> None:
    """A writer elsewhere may have lost a bump to the same outage: every generation moves first."""
    tracker = reader.tracker
    assert tracker is not None and tracker.client_id is not None
    responses = ResponseCache(reader, ttl_s=60)
    depends_on = article_dependencies([10**9 + 14])
    digest = uuid.uuid4().hex
    miss = await responses.get(digest, depends_on=depends_on)
    assert isinstance(miss, Miss)
    await responses.put(miss, Entry.of(b"before the outage"))
    assert isinstance(await responses.get(digest, depends_on=depends_on), Entry)
    before = await writer.redis.get(keys.EPOCH_GENERATION)

    await writer.redis.client_kill_filter(_id=str(tracker.client_id))
    await _until(lambda: reader.needs_heal, timeout_s=1.0)
    after = await responses.get(digest, depends_on=depends_on)  # heals, then looks up
    assert isinstance(after, Miss) and after.key != miss.key
    assert not reader.needs_heal
    assert await writer.redis.get(keys.EPOCH_GENERATION) != before


async def test_closing_is_not_an_outage(redis_url: str) -> None:
    made = Cache(create_client(redis_url), tracker=tracker_for_url(redis_url))
    assert made.tracker is not None
    made.tracker.start()
    await _until(made.tracker.fresh)
    await made.aclose()
    assert not made.needs_heal


async def test_a_silent_redis_stops_all_trust_within_the_window(redis_url: str) -> None:
    parts = urlsplit(redis_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 6379)
    await proxy.start()
    tracker = GenerationTracker(Endpoint(port=proxy.port))
    try:
        tracker.start()
        await _until(tracker.fresh)
        names = [keys.GLOBAL_GENERATION]
        tracker.learn(tracker.token(), names, "3")
        began = time.monotonic()
        proxy.set_mode("blackhole")
        await _until(lambda: not tracker.fresh(), timeout_s=1.0)
        # Trust ends window_s after the last PING that got through, so within window_s of the silence:
        # below the writers' 0.25 s Redis timeout, no writer can give up on a bump and acknowledge first.
        assert tracker.trusted_until <= began + tracker.window_s
        # A stall shorter than a heartbeat's deadline keeps the connection: its pushes arrive in order,
        # before the PONG that makes it fresh again. A longer one drops it, and what it knew.
        await _until(lambda: tracker.suffix(names) is None, timeout_s=1.0)
        assert tracker.connections == 1
        proxy.set_mode("pass")
        await _until(tracker.fresh, timeout_s=2.0)
        assert tracker.connections == 2 and tracker.suffix(names) is None
    finally:
        await tracker.aclose()
        await proxy.aclose()


_WRITER = """
import asyncio, sys
import asyncpg
from cache.store import Cache, create_client

async def main(dsn, url, article_id):
    cache = Cache(create_client(url))
    conn = await asyncpg.connect(dsn)
    try:
        for line in sys.stdin:
            value = int(line)  # in -999..999: a score is in [-1, 1]
            await conn.execute(
                "update articles set sentiment_score = $1 where id = $2", value / 1000, article_id
            )
            await cache.bump_articles(article_ids=[article_id], symbols=[])
            print(value, flush=True)  # the acknowledgement
    finally:
        await conn.close()
        await cache.aclose()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


async def test_no_read_after_another_process_acknowledges_a_write_is_stale(
    reader: Cache, settings: Settings, database_url: str, pool: asyncpg.Pool
) -> None:
    """A worker-like process writes Postgres and bumps; each acknowledgement is followed at once by a
    read here, between polls that are served from the local copy. 2,500 writes and 7,500 reads, 0 stale."""
    item = ArticleIn(
        source=f"tracking-{uuid.uuid4().hex[:8]}",
        external_id="1",
        title="tracked",
        body="tracked",
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    [ingested] = await ingest_articles(Deps(settings=settings, pool=pool), articles=[item])
    article_id = ingested.article.id
    responses = ResponseCache(reader, ttl_s=60)
    depends_on = article_dependencies([article_id])
    digest = uuid.uuid4().hex
    served_locally = 0

    async def read() -> float | None:
        nonlocal served_locally
        local = responses._current(keys.response(digest) + ":", depends_on) is not None
        found = await responses.get(digest, depends_on=depends_on)
        if isinstance(found, Entry):
            served_locally += local
            value: float | None = orjson.loads(found.body)
            return value
        score = await pool.fetchval("select sentiment_score from articles where id = $1", article_id)
        await responses.put(found, Entry.of(orjson.dumps(score)))
        return float(score) if score is not None else None

    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _WRITER,
        database_url,
        settings.redis_url.get_secret_value(),
        str(article_id),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdin is not None and proc.stdout is not None
    stale: list[tuple[int, float | None]] = []
    try:
        for n in range(2500):
            value = n % 1999 - 999  # consecutive writes always differ
            for _ in range(2):
                await read()
            proc.stdin.write(f"{value}\n".encode())
            await proc.stdin.drain()
            acknowledged = int(await asyncio.wait_for(proc.stdout.readline(), 10))
            seen = await read()
            if seen is None or round(seen * 1000) != acknowledged:
                stale.append((acknowledged, seen))
    finally:
        proc.stdin.close()
        await asyncio.wait_for(proc.wait(), 10)
    assert stale == []
    assert served_locally >= 2500, served_locally  # the polls between writes did take the local path


async def test_a_tracker_that_never_connects_reports_no_outage_and_trusts_nothing() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once the socket is closed
    tracker = GenerationTracker(Endpoint(port=port))
    drops: list[int] = []
    tracker.on_drop = lambda: drops.append(1)
    try:
        tracker.start()
        await asyncio.sleep(0.6)  # several attempts, with backoff
        assert not tracker.fresh() and tracker.token() is None and tracker.connections == 0
        assert drops == []  # nothing was trusted, so nothing needs healing
    finally:
        await tracker.aclose()
