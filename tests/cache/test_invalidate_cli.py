"""``python -m api cache invalidate``: writes that bypass the API (``python -m seeds load`` changing a
ticker, SQL by hand) bump no generation, so cached responses outlive them; the command drops them all."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest_asyncio
from redis.asyncio import Redis

from api.app import create_app
from core.records import TickerRef
from core.settings import Settings
from db.tickers import upsert_tickers
from tests.api.conftest import serve
from tests.auth.cli import run_api
from tests.conftest import free_port


@pytest_asyncio.fixture
async def client(settings: Settings, auth_headers: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(create_app(settings), headers=auth_headers) as c:
        yield c


def _ticker(symbol: str, name: str) -> TickerRef:
    return TickerRef(symbol, name, (name,), "NYSE", "Industrials")


async def _invalidate(settings: Settings, redis_url: str) -> tuple[int, str, str]:
    result = await run_api(
        "cache",
        "invalidate",
        env={"DATABASE_URL": settings.database_url.get_secret_value(), "REDIS_URL": redis_url},
    )
    return result.returncode, result.stdout, result.stderr


async def test_a_write_behind_the_apis_back_is_served_stale_until_invalidated(
    client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    symbol = "ZQ" + uuid.uuid4().hex[:3].upper()
    async with pool.acquire() as conn:
        await upsert_tickers(conn, tickers=[_ticker(symbol, "Old Name Corp")])
    created = await client.post(
        "/v1/articles",
        json={
            "source": "invalidate-test",
            "external_id": uuid.uuid4().hex,
            "title": "A title",
            "body": "A body.",
            "published_at": "2026-03-02T10:00:00Z",
            "tickers": [symbol],
        },
    )
    assert created.status_code == 201, created.text
    paths = [f"/v1/tickers/{symbol}", f"/v1/articles/{created.json()['id']}"]

    def names(responses: list[httpx.Response]) -> list[str]:
        ticker, article = (r.json() for r in responses)
        return [ticker["name"], *(t["name"] for t in article["tickers"])]

    first = [await client.get(p) for p in paths]
    assert names(first) == ["Old Name Corp", "Old Name Corp"]
    assert [(await client.get(p)).headers["x-cache"] for p in paths] == ["hit", "hit"]

    # What a seeds reload with a renamed ticker does: rows change, no generation moves.
    async with pool.acquire() as conn:
        await upsert_tickers(conn, tickers=[_ticker(symbol, "New Name Corp")])
    stale = [await client.get(p) for p in paths]
    assert names(stale) == ["Old Name Corp", "Old Name Corp"]

    code, out, err = await _invalidate(settings, settings.redis_url.get_secret_value())
    assert code == 0, err
    assert "invalidated" in out

    fresh = [await client.get(p) for p in paths]
    assert names(fresh) == ["New Name Corp", "New Name Corp"]
    assert [r.headers["x-cache"] for r in fresh] == ["miss", "miss"]


async def test_an_unreachable_redis_is_a_clear_refusal(settings: Settings) -> None:
    code, out, err = await _invalidate(settings, f"redis://127.0.0.1:{free_port()}/0")
    assert code == 2
    assert out == "" and err.startswith("cache invalidate: Redis did not take the invalidation")


async def test_it_moves_both_generations(settings: Settings) -> None:
    redis = Redis.from_url(settings.redis_url.get_secret_value())
    try:
        before = [int(v or 0) for v in await redis.mget("tt:gen", "tt:gen:epoch")]
        code, _, err = await _invalidate(settings, settings.redis_url.get_secret_value())
        assert code == 0, err
        after = [int(v or 0) for v in await redis.mget("tt:gen", "tt:gen:epoch")]
    finally:
        await redis.aclose()
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1]
