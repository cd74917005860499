"""Ticker queries: one ticker by any spelling of its symbol, the search connection, a ticker's articles,
its sentiment series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio

from core.records import ArticleIn, TickerRef
from core.scale import label_of
from db.tickers import upsert_tickers
from services.deps import Deps
from services.ingest import ingest_articles
from services.series import MAX_POINTS
from tests.schema.conftest import Scored, data_of, gql, ingest_scored, unique_source
from tests.worker.conftest import run_burst, worker_settings


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def scored(gql_deps: Deps, pool: asyncpg.Pool) -> Scored:
    return await ingest_scored(gql_deps, pool, unique_source("gql-tickers"), 4)


async def test_ticker_by_symbol(client: httpx.AsyncClient) -> None:
    ticker = data_of(await gql(client, '{ ticker(symbol: "$lumn") { symbol name exchange sector aliases } }'))
    assert ticker["ticker"]["symbol"] == "LUMN"
    assert ticker["ticker"]["name"] == "Lumen Technologies Inc"
    assert "Lumen" in ticker["ticker"]["aliases"]


async def test_tickers_search_and_pages(client: httpx.AsyncClient) -> None:
    query = """query($after: String) { tickers(first: 2, after: $after) {
                 edges { cursor node { symbol } } pageInfo { hasNextPage endCursor } } }"""
    first = data_of(await gql(client, query))["tickers"]
    second = data_of(await gql(client, query, {"after": first["pageInfo"]["endCursor"]}))["tickers"]
    symbols = [e["node"]["symbol"] for e in first["edges"] + second["edges"]]
    assert symbols == sorted(symbols) and len(set(symbols)) == 4
    found = data_of(await gql(client, '{ tickers(search: "micro") { edges { node { symbol } } } }'))
    assert [e["node"]["symbol"] for e in found["tickers"]["edges"]] == ["MSFT"]


async def test_ticker_articles_in_a_date_range(client: httpx.AsyncClient, scored: Scored) -> None:
    query = """query($from: DateTime, $to: DateTime) { ticker(symbol: "AAPL") {
                 articles(first: 100, from: $from, to: $to) { edges { node { id source } } } } }"""
    edges = data_of(await gql(client, query, {"from": "2026-03-01T13:00:00Z", "to": "2026-03-01T15:00:00Z"}))[
        "ticker"
    ]["articles"]["edges"]
    ours = [e["node"]["id"] for e in edges if e["node"]["source"] == scored.source]
    assert ours == [str(scored.article_ids[2]), str(scored.article_ids[1])]


# --- sentiment series ---

SERIES_TICKERS = (
    TickerRef("ZSGA", "Zeta Series Graph Alpha", ("Zeta Graph Alpha",)),
    TickerRef("ZSGB", "Zeta Series Graph Beta", ("Zeta Graph Beta",)),
)
SERIES_DAY = datetime(2026, 9, 8, tzinfo=UTC)
SERIES_QUERY = """query($symbol: String!, $interval: SeriesInterval!, $from: DateTime, $to: DateTime) {
  ticker(symbol: $symbol) {
    sentimentSeries(interval: $interval, from: $from, to: $to) {
      bucketStart bucketEnd articleCount score label positive negative neutral
    }
  }
}"""


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def series_scored(gql_deps: Deps, pool: asyncpg.Pool) -> list[tuple[str, float, float]]:
    """Two ZSGA articles at 10:05 and 10:40 and one ZSGB article at 11:00, scored by a real worker run."""
    async with pool.acquire() as conn:
        await upsert_tickers(conn, tickers=SERIES_TICKERS)
    source = unique_source("gql-series")
    texts = [
        ("ZSGA", 10, 5, "Zeta Series Graph Alpha shares rose after revenue beat estimates."),
        ("ZSGA", 10, 40, "Zeta Series Graph Alpha cut its outlook and shares fell."),
        ("ZSGB", 11, 0, "Zeta Series Graph Beta shares rose to a record after results."),
    ]
    results = await ingest_articles(
        gql_deps,
        articles=[
            ArticleIn(
                source=source,
                external_id=f"{source}-{i}",
                title=f"Series article {i}",
                body=body,
                published_at=SERIES_DAY + timedelta(hours=hour, minutes=minute),
                tickers=[symbol],
            )
            for i, (symbol, hour, minute, body) in enumerate(texts)
        ],
    )
    # Default tickers: the scorer is loaded once per test process, and each article names its ticker.
    await run_burst(Deps(settings=worker_settings(gql_deps.settings), pool=pool))
    rows = await pool.fetch(
        "select symbol, relevance, score from article_tickers where article_id = any($1::bigint[])"
        " order by article_id",
        [r.article.id for r in results],
    )
    return [(r["symbol"], float(r["relevance"]), float(r["score"])) for r in rows]


def _vars(**values: Any) -> dict[str, Any]:
    return {"symbol": "ZSGA", "interval": "HOUR", **values}


async def test_sentiment_series_hours_and_days(
    client: httpx.AsyncClient, series_scored: list[tuple[str, float, float]]
) -> None:
    assert [symbol for symbol, _, _ in series_scored] == ["ZSGA", "ZSGA", "ZSGB"]
    hours = data_of(
        await gql(
            client,
            SERIES_QUERY,
            _vars(**{"from": "2026-09-08T09:30:00Z", "to": "2026-09-08T12:00:00Z"}),
        )
    )["ticker"]["sentimentSeries"]
    assert [(p["bucketStart"], p["articleCount"]) for p in hours] == [
        ("2026-09-08T09:00:00+00:00", 0),
        ("2026-09-08T10:00:00+00:00", 2),
        ("2026-09-08T11:00:00+00:00", 0),
    ]
    assert hours[0]["score"] is None and hours[0]["label"] is None
    ten = hours[1]
    assert ten["positive"] + ten["negative"] + ten["neutral"] == 2
    assert -1 <= ten["score"] <= 1 and ten["label"] == label_of(ten["score"])
    zsga = series_scored[:2]
    weighted = sum(r * s for _, r, s in zsga) / sum(r for _, r, _ in zsga)
    assert ten["score"] == pytest.approx(weighted, abs=1e-6)
    days = data_of(
        await gql(
            client,
            SERIES_QUERY,
            {
                "symbol": "zsgb",
                "interval": "DAY",
                "from": "2026-09-07T00:00:00Z",
                "to": "2026-09-09T00:00:00Z",
            },
        )
    )["ticker"]["sentimentSeries"]
    assert [p["articleCount"] for p in days] == [0, 1]


async def test_sentiment_series_defaults(client: httpx.AsyncClient) -> None:
    data = data_of(
        await gql(client, '{ ticker(symbol: "LUMN") { sentimentSeries { bucketStart bucketEnd } } }')
    )
    points = data["ticker"]["sentimentSeries"]
    assert len(points) == 30
    now = datetime.now(UTC)
    assert (
        datetime.fromisoformat(points[-1]["bucketStart"])
        <= now
        < datetime.fromisoformat(points[-1]["bucketEnd"])
    )
    hours = data_of(
        await gql(client, '{ ticker(symbol: "LUMN") { sentimentSeries(interval: HOUR) { bucketStart } } }')
    )
    assert len(hours["ticker"]["sentimentSeries"]) == 48


async def test_series_of_many_tickers_in_one_request(
    client: httpx.AsyncClient, series_scored: list[tuple[str, float, float]]
) -> None:
    query = """{ tickers(search: "Zeta Series Graph", first: 10) { edges { node { symbol
                 sentimentSeries(interval: DAY, from: "2026-09-08T00:00:00Z", to: "2026-09-09T00:00:00Z") {
                   articleCount } } } } }"""
    edges = data_of(await gql(client, query))["tickers"]["edges"]
    counts = {e["node"]["symbol"]: [p["articleCount"] for p in e["node"]["sentimentSeries"]] for e in edges}
    assert counts == {"ZSGA": [2], "ZSGB": [1]}


@pytest.mark.parametrize(
    ("variables", "code", "field"),
    [
        ({"from": "2026-09-08T00:00:00Z", "to": "2026-09-08T00:00:00Z"}, "invalid_input", "from"),
        ({"from": "2026-09-09T00:00:00Z", "to": "2026-09-08T00:00:00Z"}, "invalid_input", "from"),
        ({"from": "2026-01-01T00:00:00Z", "to": "2026-09-08T00:00:00Z"}, "out_of_range", "to"),
        ({"from": "2026-09-08T00:00:00", "to": "2026-09-09T00:00:00Z"}, "invalid_input", "from"),
        ({"symbol": "NOPEZ"}, "not_found", None),
        ({"interval": "WEEK"}, "invalid_variables", None),
        ({"to": "tomorrow"}, "invalid_variables", None),
    ],
)
async def test_sentiment_series_rejects_bad_input(
    client: httpx.AsyncClient, variables: dict[str, Any], code: str, field: str | None
) -> None:
    body = await gql(client, SERIES_QUERY, _vars(**variables))
    assert body.get("data") is None or body["data"]["ticker"] is None, body
    error = body["errors"][0]
    assert error["extensions"]["code"] == code, error
    if field is not None:
        assert error["extensions"]["field"] == field
    assert error["message"] != "Unexpected error."


async def test_series_points_count_toward_the_query_cost(client: httpx.AsyncClient) -> None:
    window = 'interval: HOUR, from: "2026-01-01T00:00:00Z", to: "2026-03-30T00:00:00Z"'  # 2,112 points
    one = await gql(client, f'{{ ticker(symbol: "LUMN") {{ sentimentSeries({window}) {{ score }} }} }}')
    assert len(data_of(one)["ticker"]["sentimentSeries"]) == 2112
    many = await gql(
        client,
        f"{{ tickers(first: 20) {{ edges {{ node {{ sentimentSeries({window}) {{ score }} }} }} }} }}",
    )
    assert many["errors"][0]["extensions"]["code"] == "cost_limit_exceeded", many
    # Unknown variables are priced at the largest window, which one ticker may still ask for.
    unknown = await gql(client, SERIES_QUERY, _vars(interval="DAY", **{"from": "2026-09-01T00:00:00Z"}))
    assert len(data_of(unknown)["ticker"]["sentimentSeries"]) > 0
    unknown_many = await gql(
        client,
        """query($from: DateTime) { tickers(first: 20) { edges { node {
             sentimentSeries(from: $from) { score } } } } }""",
        {"from": "2026-09-01T00:00:00Z"},
    )
    assert unknown_many["errors"][0]["extensions"]["code"] == "cost_limit_exceeded"
    assert unknown_many["errors"][0]["extensions"]["limit"] < 20 * MAX_POINTS
