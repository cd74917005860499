"""Session fixtures: a fresh Postgres database (dropped at the end), a Redis db index of our own, a pool."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import pytest_asyncio
import redis.asyncio as aioredis

from core.settings import Settings
from db.migrate import migrate
from db.pool import create_pool
from services.deps import Deps
from services.keys import SCOPES, create_key

SERVER_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# Tests use their own Redis db index so `make run` data in db 0 is never touched.
TEST_REDIS_DB = int(os.environ.get("TEST_REDIS_DB", "13"))


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _with_redis_db(url: str, index: int) -> str:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = "&".join(p for p in parts.query.split("&") if p and not p.startswith("db="))
        return urlunsplit((parts.scheme, parts.netloc, parts.path, f"{query}&db={index}".lstrip("&"), ""))
    return urlunsplit((parts.scheme, parts.netloc, f"/{index}", parts.query, parts.fragment))


@pytest.fixture(scope="session")
def database_url() -> str:
    return _DATABASE_URL


@pytest.fixture(scope="session")
def redis_url() -> str:
    return _with_redis_db(REDIS_BASE, TEST_REDIS_DB)


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
    name = f"tickertone_test_{uuid.uuid4().hex[:10]}"
    admin_url = _with_database(SERVER_URL, "postgres")
    admin = await asyncpg.connect(admin_url, timeout=10)
    try:
        await admin.execute(f'create database "{name}"')
    finally:
        await admin.close()
    _DATABASE_URL = _with_database(SERVER_URL, name)
    conn = await asyncpg.connect(_DATABASE_URL, timeout=10)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    yield _DATABASE_URL
    admin = await asyncpg.connect(admin_url, timeout=10)
    try:
        await admin.execute(f'drop database if exists "{name}" with (force)')
    finally:
        await admin.close()


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
