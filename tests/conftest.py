"""Session fixtures: a fresh Postgres database (dropped at the end), a Redis db index of our own, a pool."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
import pytest_asyncio
import redis as sync_redis
import redis.asyncio as aioredis

from core.settings import Settings
from db.pool import create_pool
from db.scratch import scratch_database
from services.deps import Deps
from services.keys import SCOPES, create_key

SERVER_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# Tests use Redis db indexes of their own so `make run` data in db 0 is never touched: TEST_REDIS_DB (and
# TEST_E2E_REDIS_DB for the end-to-end test) when set, else two free indexes claimed for this session, so
# test sessions running at once against one Redis never flush each other's data.
_CLAIM_PREFIX = "tickertone:test-redis-db:"
_CLAIM_TTL_S = 3 * 3600


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on right now, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def served(
    module: str, *args: str, env: dict[str, str], log_path: Path, timeout_s: float = 60
) -> Iterator[str]:
    """``python -m <module> serve`` on a free port, logging to ``log_path`` (a file: a full pipe would
    block the server); yields its URL once ``/readyz`` answers 200, and stops it afterwards."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", module, "serve", "--port", str(port), *args],
            cwd=ROOT,
            env={**os.environ, "TICKERTONE_ENV": "test", **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                if proc.poll() is not None:
                    tail = log_path.read_text(errors="replace")[-4000:]
                    pytest.fail(f"server exited with {proc.returncode}: {tail}")
                try:
                    if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"server did not become ready within {timeout_s:g} s")
                time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def with_redis_db(url: str, index: int) -> str:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = "&".join(p for p in parts.query.split("&") if p and not p.startswith("db="))
        return urlunsplit((parts.scheme, parts.netloc, parts.path, f"{query}&db={index}".lstrip("&"), ""))
    return urlunsplit((parts.scheme, parts.netloc, f"/{index}", parts.query, parts.fragment))


@pytest.fixture(scope="session")
def database_url() -> str:
    return _DATABASE_URL


@pytest.fixture(scope="session")
def redis_dbs() -> Iterator[tuple[int, int]]:
    """(suite db, end-to-end db). Claims live in db 0 under our own prefix and expire if a session dies."""
    fixed = [os.environ.get(name) for name in ("TEST_REDIS_DB", "TEST_E2E_REDIS_DB")]
    chosen = [int(value) if value else None for value in fixed]
    token = uuid.uuid4().hex
    client = sync_redis.Redis.from_url(with_redis_db(REDIS_BASE, 0))
    claimed: list[int] = []
    try:
        candidates = (i for i in range(1, 16) if i not in chosen)
        for slot, value in enumerate(chosen):
            while value is None:
                index = next(candidates, None)
                if index is None:
                    raise RuntimeError(
                        "no free Redis db for the tests; set TEST_REDIS_DB and TEST_E2E_REDIS_DB"
                    )
                if client.set(f"{_CLAIM_PREFIX}{index}", token, nx=True, ex=_CLAIM_TTL_S):
                    claimed.append(index)
                    value = chosen[slot] = index
        yield chosen[0] or 0, chosen[1] or 0
    finally:
        for index in claimed:
            name = f"{_CLAIM_PREFIX}{index}"
            if client.get(name) == token.encode():
                client.delete(name)
        client.close()


@pytest.fixture(scope="session")
def redis_url(redis_dbs: tuple[int, int]) -> str:
    return with_redis_db(REDIS_BASE, redis_dbs[0])


_DATABASE_URL = ""


@pytest_asyncio.fixture(scope="session", autouse=True)
async def _clean_redis_db(redis_url: str) -> None:
    """Start from an empty test Redis db: a previous session's cached responses and generations were
    computed against another database, and fixtures that write rows with SQL do not bump generations."""
    client = aioredis.Redis.from_url(redis_url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


@pytest_asyncio.fixture(scope="session", autouse=True)
async def _test_database() -> AsyncIterator[str]:
    """Create ``tickertone_test_<random>`` on the configured server, migrate it, drop it afterwards."""
    global _DATABASE_URL
    async with scratch_database(SERVER_URL, "tickertone_test") as url:
        _DATABASE_URL = url
        yield url


@pytest.fixture(scope="session")
def settings(_test_database: str, redis_url: str) -> Settings:
    return Settings.model_validate(
        {"TICKERTONE_ENV": "test", "DATABASE_URL": _test_database, "REDIS_URL": redis_url}
    )


@pytest_asyncio.fixture(scope="session")
async def pool(_test_database: str) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(_test_database, min_size=1, max_size=8)
    yield p
    await p.close()


@pytest_asyncio.fixture
async def conn(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    async with pool.acquire() as c:
        tx = c.transaction()
        await tx.start()
        try:
            yield c
        finally:
            await tx.rollback()


@pytest.fixture
def deps(settings: Settings, pool: asyncpg.Pool) -> Deps:
    return Deps(settings=settings, pool=pool)


@pytest_asyncio.fixture(scope="session")
async def api_key(settings: Settings, pool: asyncpg.Pool) -> str:
    """A key with every scope and a limit no test reaches, for tests that call the API (issue 6)."""
    issued = await create_key(
        Deps(settings=settings, pool=pool), name="tests: all scopes", scopes=SCOPES, rate_per_min=1_000_000
    )
    return issued.secret


@pytest.fixture(scope="session")
def auth_headers(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}
