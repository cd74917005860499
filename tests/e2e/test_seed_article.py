"""End to end: the seed article through a real API process and a real worker process with the real scorer.

A database of its own (migrated, the production reference tickers loaded) and a Redis db index of its
own, flushed first: cached responses from another database must not answer for this one. The article is
posted over REST *without* tickers; the test polls until it is scored, then checks what design.md
promises over REST and GraphQL, and that the ticker's sentiment series counts it. Both processes are
killed in ``finally``; the whole test is bounded by ``DEADLINE_S``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import redis.asyncio as aioredis

from core.settings import Settings
from db.pool import create_pool
from db.scratch import scratch_database
from seeds.load import REFERENCE_TITLE, SEED_ARTICLE_PATH, read_tickers
from services.deps import Deps
from services.keys import create_key
from tests.conftest import SERVER_URL, free_port, with_redis_db

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_S = 60.0

ARTICLE_QUERY = """query($id: ID!) { article(id: $id) {
  status
  sentiment { score label confidence model scoredAt }
  tickers { symbol explicit relevance sentiment { score label confidence model } highlights { text section } }
  events { type symbol attributes evidence { text } confidence model }
} }"""
SERIES_QUERY = (
    """{ ticker(symbol: "LUMN") { sentimentSeries(interval: DAY) { bucketStart articleCount score } } }"""
)


@pytest_asyncio.fixture
async def e2e_database() -> AsyncIterator[str]:
    """A fresh, migrated database with the production reference tickers; dropped afterwards."""
    async with scratch_database(SERVER_URL, "tickertone_e2e", tickers=read_tickers()) as url:
        yield url


@pytest_asyncio.fixture
async def e2e_redis(redis_url: str, redis_dbs: tuple[int, int]) -> str:
    url = with_redis_db(redis_url, redis_dbs[1])
    client = aioredis.Redis.from_url(url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()
    return url


async def _start(args: list[str], env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as out:  # a file, not a pipe: a full pipe would block the child's logging
        return await asyncio.create_subprocess_exec(
            sys.executable,
            *args,
            cwd=str(ROOT),
            env=env,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # its own group: killing it takes the scorer processes too
        )


def _kill(proc: asyncio.subprocess.Process) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _logs(*paths: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in paths if p.exists())


async def _wait_ready(client: httpx.AsyncClient, proc: asyncio.subprocess.Process, deadline: float) -> None:
    while True:
        if proc.returncode is not None:
            raise AssertionError(f"the API exited with {proc.returncode}")
        try:
            if (await client.get("/readyz", timeout=1)).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("the API did not become ready in time")
        await asyncio.sleep(0.2)


async def _wait_scored(client: httpx.AsyncClient, article_id: int, deadline: float) -> dict[str, Any]:
    while True:
        response = await client.get(f"/v1/articles/{article_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["status"] != "pending":
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"article {article_id} still pending after {DEADLINE_S} s")
        await asyncio.sleep(0.25)


def _events_by_kind(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for event in events:
        attributes = event["attributes"]
        kind = event["type"] if event["type"] != "earnings" else f"earnings:{attributes.get('metric')}"
        assert kind not in out, f"two {kind} events: {events}"
        out[kind] = event
    return out


def _check_analysis(
    status: str, sentiment: dict[str, Any], tickers: list[dict[str, Any]], events: Any
) -> None:
    """What design.md says ingesting the seed article must yield; the same for REST and GraphQL shapes."""
    assert status == "scored"
    assert sentiment["label"] == "moderately positive", sentiment
    assert 0.40 <= sentiment["score"] < 0.75
    assert 0 <= sentiment["confidence"] <= 1 and sentiment["model"]
    lumn = next((t for t in tickers if t["symbol"] == "LUMN"), None)
    assert lumn is not None, f"LUMN not linked: {tickers}"
    assert lumn["explicit"] is False  # nobody named it
    assert lumn["relevance"] >= 0.8
    assert lumn["sentiment"]["score"] >= 0.15, lumn
    assert lumn["highlights"] and all("Lumen" in h["text"] for h in lumn["highlights"])
    found = _events_by_kind(events)
    assert set(found) == {"acquisition", "earnings:revenue", "earnings:adjusted_eps", "guidance"}, events
    deal = found["acquisition"]["attributes"]
    assert found["acquisition"]["symbol"] == "LUMN"
    assert deal["acquirer"] == "LUMN" and deal["target"] == "Alkira"
    assert deal["target_type"] == "private" and deal["consideration"] == "cash"
    assert deal["value"] == 475_000_000 and deal["currency"] == "USD" and deal["status"] == "announced"
    revenue = found["earnings:revenue"]["attributes"]
    assert (revenue["actual"], revenue["expected"], revenue["result"]) == (2.9e9, 2.83e9, "beat")
    eps = found["earnings:adjusted_eps"]["attributes"]
    assert (eps["actual"], eps["expected"], eps["result"]) == (-0.47, -0.13, "miss")
    guidance = found["guidance"]["attributes"]
    assert guidance["metric"] == "free_cash_flow" and guidance["period"] == "FY"
    assert (guidance["low"], guidance["high"], guidance["direction"]) == (1.9e9, 2.1e9, "raised")
    assert all(e["evidence"] and e["evidence"]["text"] for e in events)


async def test_seed_article_end_to_end(
    e2e_database: str, e2e_redis: str, tmp_path: Path, settings: Settings
) -> None:
    deadline = time.monotonic() + DEADLINE_S
    pool = await create_pool(e2e_database, min_size=1, max_size=2)
    try:
        issued = await create_key(
            Deps(settings=settings, pool=pool), name="e2e", scopes=["ingest", "read"], rate_per_min=100_000
        )
    finally:
        await pool.close()
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WORKER_", "TICKERTONE_", "DATABASE_", "REDIS_", "PORT"))
    }
    env.update(
        {
            "DATABASE_URL": e2e_database,
            "REDIS_URL": e2e_redis,
            "PORT": str(port),
            "TICKERTONE_ENV": "production",
            "PYTHONPATH": str(ROOT),
            "WORKER_CONCURRENCY": "1",
            "WORKER_POLL_S": "0.5",
        }
    )
    api_log, worker_log = tmp_path / "api.log", tmp_path / "worker.log"
    started: list[asyncio.subprocess.Process] = []
    headers = {"Authorization": f"Bearer {issued.secret}"}
    try:
        started.append(await _start(["-m", "tickertone_app", "serve", "--port", str(port)], env, api_log))
        started.append(await _start(["-m", "worker"], env, worker_log))
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=10
        ) as client:
            await _wait_ready(client, started[0], deadline)
            published = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
            created = await client.post(
                "/v1/articles",
                json={
                    "source": "e2e",
                    "external_id": uuid.uuid4().hex,
                    "title": REFERENCE_TITLE,
                    "body": SEED_ARTICLE_PATH.read_text(encoding="utf-8").strip(),
                    "published_at": published.isoformat(),
                },
            )
            assert created.status_code == 201, created.text
            assert created.json()["status"] == "pending" and created.json()["sentiment"] is None
            article_id = created.json()["id"]

            rest = await _wait_scored(client, article_id, deadline)
            assert started[1].returncode is None, "the worker died"
            _check_analysis(rest["status"], rest["sentiment"], rest["tickers"], rest["events"])

            response = await client.post(
                "/graphql", json={"query": ARTICLE_QUERY, "variables": {"id": article_id}}
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert "errors" not in body, body
            article = body["data"]["article"]
            _check_analysis(
                article["status"].lower(), article["sentiment"], article["tickers"], article["events"]
            )
            assert article["sentiment"] == {
                "score": rest["sentiment"]["score"],
                "label": rest["sentiment"]["label"],
                "confidence": rest["sentiment"]["confidence"],
                "model": rest["sentiment"]["model"],
                "scoredAt": article["sentiment"]["scoredAt"],
            }

            series = await client.get("/v1/tickers/LUMN/sentiment")
            assert series.status_code == 200, series.text
            points = series.json()["points"]
            counted = [p for p in points if p["article_count"]]
            assert [p["article_count"] for p in counted] == [1], points
            lumn_score = next(t for t in rest["tickers"] if t["symbol"] == "LUMN")["sentiment"]["score"]
            assert counted[0]["score"] == pytest.approx(lumn_score, abs=1e-6)
            assert counted[0]["bucket_start"] == f"{published:%Y-%m-%d}T00:00:00Z"
            gql_series = (await client.post("/graphql", json={"query": SERIES_QUERY})).json()
            assert "errors" not in gql_series, gql_series
            counts = [p["articleCount"] for p in gql_series["data"]["ticker"]["sentimentSeries"]]
            assert sum(counts) == 1
    except BaseException:
        print(_logs(api_log, worker_log))
        raise
    finally:
        for proc in started:
            _kill(proc)
        for proc in started:
            await proc.wait()
