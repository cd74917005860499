"""Keys never reach the logs of a real server: uvicorn's access log on, debug logging, keys sent in
every place a client might put one (headers, the refused query string, a request body)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest_asyncio

from tests.auth.conftest import MakeKey
from tests.conftest import served

ROOT = Path(__file__).resolve().parents[2]


@pytest_asyncio.fixture
async def key(make_key: MakeKey) -> str:
    return await make_key(["read", "ingest"])


def test_keys_never_reach_a_real_servers_logs(
    key: str, database_url: str, redis_url: str, tmp_path: Path
) -> None:
    revoked_shape = "tt_zzzzzzzz_" + "B" * 43  # well-formed but unknown: logged paths must hide it too
    log_path = tmp_path / "server.log"
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "DEBUG"}
    with (
        served("api", "--access-log", env=env, log_path=log_path, timeout_s=30) as url,
        httpx.Client(base_url=url, timeout=10) as client,
    ):
        statuses = [
            client.get("/v1/tickers", headers={"X-API-Key": key}).status_code,
            client.get("/v1/tickers", headers={"Authorization": f"Bearer {key}"}).status_code,
            client.get(f"/v1/tickers?apikey={key}").status_code,
            client.get(f"/v1/tickers?limit=1&token={revoked_shape}").status_code,
            client.get(f"/v1/tickers/{key}", headers={"X-API-Key": key}).status_code,
            client.get("/v1/tickers", headers={"Authorization": f"Basic {key}"}).status_code,
            client.post("/v1/articles", json={"title": key}, headers={"X-API-Key": key}).status_code,
        ]
    assert statuses == [200, 200, 401, 401, 422, 401, 422], statuses
    output = log_path.read_text(errors="replace")
    # The access log ran (so the check below is not vacuous) and showed the refused request's path.
    assert "/v1/tickers?apikey=tt_[redacted]" in output, output[-3000:]
    assert key not in output
    assert revoked_shape not in output
    secret = key.split("_", 2)[2]
    assert secret not in output
