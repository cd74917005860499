"""End to end: ``python -m api serve`` as a real process, spoken to over real HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest_asyncio

from tests.api.conftest import article_json

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest_asyncio.fixture
async def server(database_url: str, redis_url: str) -> AsyncIterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PORT": str(port),
        "TICKERTONE_ENV": "test",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "api",
        "serve",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=2) as probe:
            for _ in range(150):
                if process.returncode is not None:
                    raise AssertionError(f"server exited: {(await process.stdout.read()).decode()}")
                try:
                    if (await probe.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("server did not answer /healthz within 15 s")
        yield base
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise
        output = (await process.stdout.read()).decode()
    # uvicorn re-raises the captured SIGTERM after a graceful shutdown, so -15 is a clean exit too.
    assert code in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output, output


async def test_real_server_round_trip(server: str, auth_headers: dict[str, str], source: str) -> None:
    async with httpx.AsyncClient(base_url=server, headers=auth_headers, timeout=10) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["postgres"] == "ok"
        created = await client.post("/v1/articles", json=article_json(source, tickers=["LUMN"]))
        assert created.status_code == 201, created.text
        article = created.json()
        fetched = await client.get(f"/v1/articles/{article['id']}")
        assert fetched.status_code == 200
        assert fetched.json()["status"] == "pending" and fetched.json()["sentiment"] is None
        assert [t["symbol"] for t in fetched.json()["tickers"]] == ["LUMN"]
        listing = await client.get("/v1/articles", params={"source": source, "tickers": "LUMN"})
        assert [a["id"] for a in listing.json()["data"]] == [article["id"]]
        bad = await client.post(
            "/v1/articles", content=b"{nope", headers={"content-type": "application/json"}
        )
        assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
        assert (await client.get("/openapi.yaml")).text.startswith("openapi: 3.1")
        assert (await client.get("/docs/assets/swagger-ui-bundle.js")).status_code == 200
