"""REST tickers: prefix search by symbol, name or alias; pages; one ticker by symbol; sentiment series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from cache.store import Cache, create_client
from core.records import TickerRef
from core.scale import label_of
from core.settings import Settings
from db.tickers import upsert_tickers
from services.deps import Deps
from tests.api.conftest import article_json
from tests.worker.conftest import run_burst, worker_settings


async def test_get_ticker_normalizes_the_symbol(client: httpx.AsyncClient) -> None:
    for symbol in ("LUMN", "lumn", "$LUMN"):
        response = await client.get(f"/v1/tickers/{symbol}")
        assert response.status_code == 200, symbol
        assert response.json()["symbol"] == "LUMN"
        assert "Lumen" in response.json()["aliases"]


async def test_class_share_symbol(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/tickers/brk.b")
    assert response.status_code == 200 and response.json()["name"].startswith("Berkshire")


async def test_search_by_alias_and_prefix(client: httpx.AsyncClient) -> None:
    by_alias = (await client.get("/v1/tickers", params={"search": "lumen"})).json()
    assert "LUMN" in [t["symbol"] for t in by_alias["data"]]
    by_symbol = (await client.get("/v1/tickers", params={"search": "NVD"})).json()
    assert "NVDA" in [t["symbol"] for t in by_symbol["data"]]


async def test_pages_cover_the_table_once(client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    url: str | None = "/v1/tickers?limit=100"
    while url is not None:
        response = await client.get(url)
        assert response.status_code == 200
        page = response.json()
        seen += [t["symbol"] for t in page["data"]]
        url = page["next"]
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    assert {"AAPL", "LUMN", "MSFT", "NVDA", "BRK.B"} <= set(seen)


# --- sentiment series ---

SERIES_TICKER = TickerRef("ZSRS", "Zeta Series Rest Holdings", ("Zeta Series Rest",))
SERIES_DAY = datetime(2026, 10, 14, tzinfo=UTC)


async def test_sentiment_series_defaults_to_the_last_30_days(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/tickers/lumn/sentiment")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["symbol"] == "LUMN" and body["interval"] == "day"
    points = body["points"]
    assert len(points) == 30
    now = datetime.now(UTC)
    last = points[-1]
    assert datetime.fromisoformat(last["bucket_start"]) <= now < datetime.fromisoformat(last["bucket_end"])
    # The window moves with the clock, so this answer is never stored under its URL.
    assert "x-cache" not in response.headers
    hours = (await client.get("/v1/tickers/LUMN/sentiment", params={"interval": "hour"})).json()
    assert len(hours["points"]) == 48
    assert all(p["score"] is None or -1 <= p["score"] <= 1 for p in hours["points"])


async def test_a_scored_article_shows_in_the_series_at_once(
    client: httpx.AsyncClient, settings: Settings, pool: asyncpg.Pool, redis_url: str, source: str
) -> None:
    async with pool.acquire() as conn:
        await upsert_tickers(conn, tickers=[SERIES_TICKER])
    params = {
        "interval": "day",
        "from": (SERIES_DAY - timedelta(days=1)).isoformat(),
        "to": (SERIES_DAY + timedelta(days=2)).isoformat(),
    }
    url = f"/v1/tickers/{SERIES_TICKER.symbol}/sentiment"
    before = await client.get(url, params=params)
    assert before.status_code == 200
    assert [p["article_count"] for p in before.json()["points"]] == [0, 0, 0]
    assert all(p["score"] is None and p["label"] is None for p in before.json()["points"])
    assert (await client.get(url, params=params)).headers["x-cache"] == "hit"
    assert await _graphql_counts(client, params) == ([0, 0, 0], "miss")
    assert await _graphql_counts(client, params) == ([0, 0, 0], "hit")

    published = SERIES_DAY + timedelta(hours=13, minutes=30)
    created = await client.post(
        "/v1/articles",
        json=article_json(
            source,
            title="Zeta Series Rest Holdings shares rose after results beat estimates",
            body="Zeta Series Rest Holdings reported revenue that beat estimates; shares rose 5%.",
            published_at=published.isoformat(),
            tickers=[SERIES_TICKER.symbol],
        ),
    )
    assert created.status_code == 201, created.text
    # Ingested, not scored yet: the (re-built, re-cached) series still counts nothing.
    pending = await client.get(url, params=params)
    assert [p["article_count"] for p in pending.json()["points"]] == [0, 0, 0]
    assert (await client.get(url, params=params)).headers["x-cache"] == "hit"
    assert await _graphql_counts(client, params) == ([0, 0, 0], "miss")
    assert await _graphql_counts(client, params) == ([0, 0, 0], "hit")

    cache = Cache(create_client(redis_url))
    try:
        # Default tickers: the scorer is loaded once per test process, and the article names its ticker.
        stats = await run_burst(Deps(settings=worker_settings(settings), pool=pool, cache=cache))
    finally:
        await cache.aclose()
    assert stats.stored >= 1

    after = await client.get(url, params=params)
    assert after.headers["x-cache"] == "miss", "a cached series hid the newly scored article"
    points = after.json()["points"]
    assert [p["article_count"] for p in points] == [0, 1, 0]
    stored = await pool.fetchval(
        "select score from article_tickers where article_id = $1 and symbol = $2",
        created.json()["id"],
        SERIES_TICKER.symbol,
    )
    assert points[1]["score"] == pytest.approx(float(stored), abs=1e-6)
    assert points[1]["label"] == label_of(points[1]["score"])
    assert points[1]["positive"] + points[1]["negative"] + points[1]["neutral"] == 1
    assert points[1]["bucket_start"] == "2026-10-14T00:00:00Z"
    assert await _graphql_counts(client, params) == ([0, 1, 0], "miss")


GRAPHQL_SERIES = """query($from: DateTime, $to: DateTime) { ticker(symbol: "%s") {
  sentimentSeries(interval: DAY, from: $from, to: $to) { articleCount } } }"""


async def _graphql_counts(client: httpx.AsyncClient, params: dict[str, str]) -> tuple[list[int], str | None]:
    response = await client.post(
        "/graphql",
        json={
            "query": GRAPHQL_SERIES % SERIES_TICKER.symbol,
            "variables": {"from": params["from"], "to": params["to"]},
        },
    )
    assert response.status_code == 200, response.text
    points = response.json()["data"]["ticker"]["sentimentSeries"]
    return [p["articleCount"] for p in points], response.headers.get("x-cache")


async def test_graphql_series_without_to_is_never_stored(client: httpx.AsyncClient) -> None:
    for variables in ({}, {"to": None}, {"from": "2026-10-01T00:00:00Z"}):
        response = await client.post(
            "/graphql", json={"query": GRAPHQL_SERIES % "LUMN", "variables": variables}
        )
        assert response.status_code == 200 and "errors" not in response.json(), response.text
        assert "x-cache" not in response.headers, variables


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"interval": "week"}, "interval", "invalid_parameter"),
        ({"from": "2026-10-14T00:00:00Z", "to": "2026-10-14T00:00:00Z"}, "from", "invalid_input"),
        ({"from": "2026-10-15T00:00:00Z", "to": "2026-10-14T00:00:00Z"}, "from", "invalid_input"),
        (
            {"interval": "hour", "from": "2026-01-01T00:00:00Z", "to": "2026-10-14T00:00:00Z"},
            "to",
            "out_of_range",
        ),
        ({"from": "2016-01-01T00:00:00Z", "to": "2026-10-14T00:00:00Z"}, "to", "out_of_range"),
        ({"from": "2026-10-14T00:00:00"}, "from", "invalid_parameter"),
        ({"to": "yesterday"}, "to", "invalid_parameter"),
    ],
)
async def test_sentiment_series_rejects_bad_windows(
    client: httpx.AsyncClient, params: dict[str, str], field: str, code: str
) -> None:
    response = await client.get("/v1/tickers/LUMN/sentiment", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == code, problem
    assert problem["errors"][0]["field"] == field


async def test_sentiment_series_of_unknown_or_malformed_tickers(client: httpx.AsyncClient) -> None:
    unknown = await client.get("/v1/tickers/NOPEZ/sentiment")
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    malformed = await client.get("/v1/tickers/no%20pe/sentiment")
    assert malformed.status_code == 422 and malformed.json()["errors"][0]["field"] == "symbol"
    extra = await client.get("/v1/tickers/LUMN/sentiment", params={"limit": "5"})
    assert extra.status_code == 400 and extra.json()["code"] == "unknown_parameter"
