"""A real ``tickertone_app`` server (uvicorn, scorer wired) on a free port, for schemathesis to call.

A subprocess keeps schemathesis' synchronous HTTP calls off pytest-asyncio's session event loop. It
serves the session's test database and Redis db, with a few reference tickers loaded first.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from core.records import TickerRef
from db.tickers import upsert_tickers
from tests.conftest import served

ROOT = Path(__file__).resolve().parents[2]

TICKERS = [
    TickerRef(
        "LUMN", "Lumen Technologies Inc", ("Lumen Technologies", "Lumen", "$LUMN"), "NYSE", "Communication"
    ),
    TickerRef("AAPL", "Apple Inc.", ("Apple", "$AAPL"), "NASDAQ", "Information Technology"),
    TickerRef("MSFT", "Microsoft Corporation", ("Microsoft", "$MSFT"), "NASDAQ", "Information Technology"),
]


@pytest_asyncio.fixture(scope="session")
async def contract_tickers(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await upsert_tickers(conn, tickers=TICKERS)


@pytest.fixture(scope="session")
def server_url(
    contract_tickers: None, database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    log_path = tmp_path_factory.mktemp("contract-server") / "server.log"
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url}
    with served("tickertone_app", env=env, log_path=log_path) as url:
        yield url
