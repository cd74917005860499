"""Keys never reach the logs of a real server: uvicorn's access log on, debug logging, keys sent in
every place a client might put one (headers, the refused query string, a request body)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from tests.auth.conftest import MakeKey
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def _wait_ready(proc: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"server exited with {proc.returncode}: {log_path.read_text(errors='replace')[-3000:]}"
            )
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail("server did not become ready within 30 s")


@pytest_asyncio.fixture
async def key(make_key: MakeKey) -> str:
    return await make_key(["read", "ingest"])


def test_keys_never_reach_a_real_servers_logs(
    key: str, database_url: str, redis_url: str, tmp_path: Path
) -> None:
    revoked_shape = "tt_zzzzzzzz_" + "B" * 43  # well-formed but unknown: logged paths must hide it too
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "server.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "TICKERTONE_ENV": "test",
        "LOG_LEVEL": "DEBUG",
    }
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api", "serve", "--port", str(port), "--access-log"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_ready(proc, url, log_path)
            with httpx.Client(base_url=url, timeout=10) as client:
                statuses = [
                    client.get("/v1/tickers", headers={"X-API-Key": key}).status_code,
                    client.get("/v1/tickers", headers={"Authorization": f"Bearer {key}"}).status_code,
                    client.get(f"/v1/tickers?apikey={key}").status_code,
                    client.get(f"/v1/tickers?limit=1&token={revoked_shape}").status_code,
                    client.get(f"/v1/tickers/{key}", headers={"X-API-Key": key}).status_code,
                    client.get("/v1/tickers", headers={"Authorization": f"Basic {key}"}).status_code,
                    client.post("/v1/articles", json={"title": key}, headers={"X-API-Key": key}).status_code,
                ]
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    assert statuses == [200, 200, 401, 401, 422, 401, 422], statuses
    output = log_path.read_text(errors="replace")
    # The access log ran (so the check below is not vacuous) and showed the refused request's path.
    assert "/v1/tickers?apikey=tt_[redacted]" in output, output[-3000:]
    assert key not in output
    assert revoked_shape not in output
    secret = key.split("_", 2)[2]
    assert secret not in output
