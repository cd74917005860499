"""A real ``tickertone_app`` server (uvicorn, scorer wired) on a free port, for schemathesis to call.

A subprocess keeps schemathesis' synchronous HTTP calls off pytest-asyncio's session event loop. It
serves the session's test database and Redis db, with a few reference tickers loaded first.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import pytest_asyncio

from core.records import TickerRef
from db.tickers import upsert_tickers
from tests.conftest import free_port

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
    port = free_port()
    log_path = tmp_path_factory.mktemp("contract-server") / "server.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PORT": str(port),
        "TICKERTONE_ENV": "test",
    }
    # A file, not a pipe: a full pipe would block the server's logging.
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tickertone_app", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
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
                pytest.fail("server did not become ready within 60 s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
