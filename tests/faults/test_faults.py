"""Faults with real processes under a steady request load: 0 responses with status 500, back within 1 s.

- Redis killed: our own ``redis-server`` on a free port, ``kill -9``, then started again on that port.
- Redis blackholed: an asyncio TCP proxy in front of that server stops forwarding (no reset, no reply).
- Postgres restarted: a proxy in front of the shared server resets every connection and refuses new
  ones for a while, as a crashed and restarting Postgres does; the shared server itself is untouched.

The app runs in-process (whole middleware stack) over ``httpx.ASGITransport``; two drivers rotate a
cacheable GraphQL list query, REST reads of varying articles, and GraphQL reads that always miss.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
import pytest_asyncio

from api.app import create_app
from core.records import ArticleIn
from core.settings import Settings
from services.deps import Deps
from services.ingest import ingest_articles
from tests.api.conftest import serve
from tests.faults._proxy import Mode, TcpProxy

pytestmark = pytest.mark.slow

Q1 = {
    "query": "{ articles(first: 20) { edges { node { id title sentiment { score } tickers { symbol } } } } }"
}


@dataclass(frozen=True, slots=True)
class Sample:
    started: float
    status: int
    ms: float
    cache: str | None
    retry_after: str | None
    code: str | None = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class RedisProcess:
    def __init__(self, port: int) -> None:
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.01)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()  # SIGKILL to our own child, by its pid
            self.proc.wait()
            self.proc = None


@pytest.fixture
def redis_process() -> Iterator[RedisProcess]:
    server = RedisProcess(free_port())
    server.start()
    yield server
    server.kill()


@pytest_asyncio.fixture(scope="module")
async def article_ids(settings: Settings, pool: asyncpg.Pool) -> list[int]:
    source = f"faults-{uuid.uuid4().hex[:8]}"
    start = datetime(2026, 2, 1, tzinfo=UTC)
    items = [
        ArticleIn(
            source=source, title=f"fault {i}", body=f"body {i}", published_at=start + timedelta(minutes=i)
        )
        for i in range(60)
    ]
    results = await ingest_articles(Deps(settings=settings, pool=pool), articles=items)
    return [r.article.id for r in results]


def _with_netloc(url: str, port: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, f"{parts.username or 'postgres'}@127.0.0.1:{port}", parts.path, "", ""))


def _code(response: httpx.Response) -> str | None:
    """The error code of a problem document or of the first GraphQL error, if any."""
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and body.get("errors"):
        return str(body["errors"][0].get("extensions", {}).get("code"))
    return str(body["code"]) if isinstance(body, dict) and "code" in body else None


async def _drive(
    client: httpx.AsyncClient, ids: list[int], until: float, out: list[Sample], lane: int
) -> None:
    article = itertools.cycle(ids[lane::2])
    for n in itertools.count():
        now = time.monotonic()
        if now >= until:
            return
        if n % 3 == 0:
            response = await client.post("/graphql", json=Q1)
        elif n % 3 == 1:
            response = await client.get(f"/v1/articles/{next(article)}")
        else:
            # A fresh alias every time: a guaranteed cache miss that needs Postgres.
            query = f'{{ a{uuid.uuid4().hex}: article(id: "{next(article)}") {{ id title }} }}'
            response = await client.post("/graphql", json={"query": query})
        out.append(
            Sample(
                started=now,
                status=response.status_code,
                ms=(time.monotonic() - now) * 1000,
                cache=response.headers.get("x-cache"),
                retry_after=response.headers.get("retry-after"),
                code=_code(response),
            )
        )
        await asyncio.sleep(0.005)


async def _load(client: httpx.AsyncClient, ids: list[int], seconds: float, out: list[Sample]) -> None:
    until = time.monotonic() + seconds
    await asyncio.gather(*(_drive(client, ids, until, out, lane) for lane in range(2)))


def _app_settings(
    settings: Settings,
    *,
    redis_port: int | None = None,
    pg_port: int | None = None,
    response_cache: bool = True,
) -> Settings:
    update: dict[str, object] = {"response_cache": response_cache}
    if redis_port is not None:
        update["redis_url"] = type(settings.redis_url)(f"redis://127.0.0.1:{redis_port}/0")
    if pg_port is not None:
        update["database_url"] = type(settings.database_url)(
            _with_netloc(settings.database_url.get_secret_value(), pg_port)
        )
    return settings.model_copy(update=update)


def _assert_no_500(samples: list[Sample]) -> None:
    assert samples, "no requests were made"
    assert [s for s in samples if s.status >= 500 and s.status != 503] == []


def _first_hit_after(samples: list[Sample], t: float) -> float:
    hits = [s.started for s in samples if s.started >= t and s.cache == "hit"]
    assert hits, "the cache never served a hit again"
    return min(hits) - t


async def _through_proxy(
    settings: Settings,
    auth_headers: dict[str, str],
    article_ids: list[int],
    *,
    target: tuple[str, int],
    service: str,
    mode: Mode,
    seconds: tuple[float, float, float],
    response_cache: bool = True,
) -> tuple[list[Sample], float, float]:
    """Load the app for ``seconds[0]``, with the proxy to ``service`` in ``mode`` for ``seconds[1]``, then
    restored for ``seconds[2]``; returns the samples and when the fault began and ended."""
    proxy = TcpProxy(*target)
    await proxy.start()
    samples: list[Sample] = []
    port = {"redis_port": proxy.port} if service == "redis" else {"pg_port": proxy.port}
    app = create_app(_app_settings(settings, **port, response_cache=response_cache))
    try:
        async with serve(app, headers=auth_headers) as client:
            await _load(client, article_ids, seconds[0], samples)
            began = time.monotonic()
            proxy.set_mode(mode)
            await _load(client, article_ids, seconds[1], samples)
            proxy.set_mode("pass")
            ended = time.monotonic()
            await _load(client, article_ids, seconds[2], samples)
    finally:
        await proxy.aclose()
    return samples, began, ended


def _postgres(settings: Settings) -> tuple[str, int]:
    server = urlsplit(settings.database_url.get_secret_value())
    return server.hostname or "127.0.0.1", server.port or 5432


async def test_redis_killed_and_restarted(
    settings: Settings, auth_headers: dict[str, str], redis_process: RedisProcess, article_ids: list[int]
) -> None:
    samples: list[Sample] = []
    app = create_app(_app_settings(settings, redis_port=redis_process.port))
    async with serve(app, headers=auth_headers) as client:
        await _load(client, article_ids, 1.0, samples)
        killed = time.monotonic()
        redis_process.kill()
        await _load(client, article_ids, 1.5, samples)
        redis_process.start()
        restarted = time.monotonic()
        await _load(client, article_ids, 1.5, samples)
    _assert_no_500(samples)
    assert {s.status for s in samples} == {200}, "Redis down must not fail a read"
    during = sorted(s.ms for s in samples if killed <= s.started < restarted)
    assert during and during[int(len(during) * 0.99) - 1] < 250, during[-5:]
    assert _first_hit_after(samples, restarted) < 1.0


async def test_redis_blackholed(
    settings: Settings, auth_headers: dict[str, str], redis_process: RedisProcess, article_ids: list[int]
) -> None:
    samples, silenced, restored = await _through_proxy(
        settings,
        auth_headers,
        article_ids,
        target=("127.0.0.1", redis_process.port),
        service="redis",
        mode="blackhole",
        seconds=(1.0, 2.5, 1.5),
    )
    _assert_no_500(samples)
    assert {s.status for s in samples} == {200}
    # Within a second the breakers are open and reads stop paying Redis timeouts. The response
    # cache's breaker probes in the background; while it is open the rate limit is counted in
    # process (no inline Redis probe), so a request waits on Redis only by bad luck under load.
    settled = sorted(s.ms for s in samples if silenced + 1.0 <= s.started < restored)
    assert settled
    assert settled[len(settled) // 2] < 25, settled[len(settled) // 2]
    assert settled[int(len(settled) * 0.95) - 1] < 100, settled[-10:]
    assert settled[-1] < 400, settled[-5:]
    assert _first_hit_after(samples, restored) < 1.0


# Cache off, compiled reads are answered by the hit path under its own deadline: the same promises.
@pytest.mark.parametrize("response_cache", [True, False], ids=["cache", "no-cache"])
async def test_postgres_restarted(
    settings: Settings, auth_headers: dict[str, str], article_ids: list[int], response_cache: bool
) -> None:
    samples, down, up = await _through_proxy(
        settings,
        auth_headers,
        article_ids,
        target=_postgres(settings),
        service="postgres",
        mode="cut",
        seconds=(1.0, 1.5, 2.0),
        response_cache=response_cache,
    )
    _assert_no_500(samples)
    outage = [s for s in samples if down <= s.started < up]
    assert any(s.status == 503 for s in outage), "cache misses need Postgres: expected 503s"
    assert all(s.retry_after for s in outage if s.status == 503)
    assert all(s.ms < 2_500 for s in samples), "the deadline bounds every answer"
    back = [s for s in samples if s.started >= up + 1.0]
    assert back and {s.status for s in back} == {200}, {s.status for s in back}
    first_ok = min(s.started for s in samples if s.started >= up and s.status == 200)
    assert first_ok - up < 1.0


# Cache off, compiled reads are answered by the hit path under its own deadline: the same promises.
@pytest.mark.parametrize("response_cache", [True, False], ids=["cache", "no-cache"])
async def test_postgres_blackholed_answers_within_the_deadline(
    settings: Settings, auth_headers: dict[str, str], article_ids: list[int], response_cache: bool
) -> None:
    """A silent Postgres (no reset, no reply): every request still answers within the 2 s deadline."""
    samples, silenced, restored = await _through_proxy(
        settings,
        auth_headers,
        article_ids,
        target=_postgres(settings),
        service="postgres",
        mode="blackhole",
        seconds=(1.0, 3.0, 2.0),
        response_cache=response_cache,
    )
    _assert_no_500(samples)
    outage = [s for s in samples if silenced <= s.started < restored]
    assert any(s.status == 503 and s.retry_after for s in outage)
    assert max(s.ms for s in samples) < 2_500, max(s.ms for s in samples)
    back = [s for s in samples if s.started >= restored + 1.0]
    assert back and {s.status for s in back} == {200}, sorted({s.status for s in back})
