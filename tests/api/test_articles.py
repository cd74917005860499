"""REST articles: idempotent ingest, full article reads, filters, keyset pages, constant SQL per page."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

import db.pool
from api.app import create_app
from core.settings import Settings
from tests.api.conftest import article_json, serve


async def ingest(client: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    return await client.post("/v1/articles", json=body)


async def score(pool: asyncpg.Pool, article_id: int, *, score: float, label: str, event_type: str) -> None:
    """Write what the scoring worker writes for one article (the worker is another engineer's)."""
    model = "test-model-1"
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "update articles set status = 'scored', sentiment_score = $2, sentiment_label = $3,"
            " sentiment_confidence = 0.9, sentiment_model = $4, scored_at = now() where id = $1",
            article_id,
            score,
            label,
            model,
        )
        await conn.execute(
            "update article_tickers set relevance = 0.95, score = $2, label = $3, confidence = 0.8,"
            " model = $4, scored_at = now(),"
            ' highlights = \'[{"text": "Lumen agreed", "section": "body", "start": 0,'
            ' "end": 12, "score": 0.7}]\'::jsonb'
            " where article_id = $1",
            article_id,
            score,
            label,
            model,
        )
        await conn.execute(
            "insert into events (article_id, model, ordinal, type, symbol, entity, attributes, evidence,"
            " confidence, published_at)"
            " select id, $2, 0, $3, 'LUMN', 'Alkira',"
            ' \'{"amount": 475000000, "currency": "USD"}\'::jsonb,'
            ' \'{"text": "acquire Alkira", "section": "body", "start": 30, "end": 44,'
            ' "score": 0.9}\'::jsonb, 0.85, published_at from articles where id = $1',
            article_id,
            model,
            event_type,
        )


async def test_single_ingest_is_idempotent(client: httpx.AsyncClient, source: str) -> None:
    body = article_json(source, tickers=["$lumn"], authors=["A. Writer"], url=f"https://n.example/{source}")
    first = await ingest(client, body)
    assert first.status_code == 201, first.text
    article = first.json()
    assert first.headers["location"] == f"/v1/articles/{article['id']}"
    assert article["status"] == "pending" and article["sentiment"] is None
    assert article["tickers"] == [
        {
            "symbol": "LUMN",
            "name": "Lumen Technologies Inc",
            "explicit": True,
            "relevance": None,
            "sentiment": None,
            "highlights": [],
        }
    ]
    assert article["events"] == [] and article["body"] == body["body"]
    again = await ingest(client, {**body, "title": "edited title"})
    assert again.status_code == 200 and "location" not in again.headers
    assert again.json()["id"] == article["id"] and again.json()["title"] == article["title"]


async def test_batch_reports_created_per_item(client: httpx.AsyncClient, source: str) -> None:
    existing = (await ingest(client, article_json(source))).json()
    batch = [
        article_json(source),
        article_json(source, external_id=existing["external_id"]),
        article_json(source),
    ]
    response = await ingest(client, {"articles": batch})
    assert response.status_code == 201, response.text
    result = response.json()
    assert [item["created"] for item in result["data"]] == [True, False, True]
    assert result["data"][1]["article"]["id"] == existing["id"]
    assert (result["created"], result["existing"]) == (2, 1)
    assert all("body" not in item["article"] for item in result["data"])
    replay = await ingest(client, {"articles": batch})
    assert replay.status_code == 200
    assert [item["created"] for item in replay.json()["data"]] == [False, False, False]


async def test_get_article_by_id(client: httpx.AsyncClient, source: str, pool: asyncpg.Pool) -> None:
    created = (await ingest(client, article_json(source, tickers=["LUMN", "AAPL"]))).json()
    await score(pool, created["id"], score=0.68, label="moderately positive", event_type="acquisition")
    response = await client.get(f"/v1/articles/{created['id']}")
    assert response.status_code == 200
    article = response.json()
    assert article["status"] == "scored"
    assert article["sentiment"]["label"] == "moderately positive"
    assert article["sentiment"]["score"] == pytest.approx(0.68)
    assert set(article["sentiment"]) == {"score", "label", "confidence", "model", "scored_at"}
    assert {t["symbol"] for t in article["tickers"]} == {"LUMN", "AAPL"}
    lumn = next(t for t in article["tickers"] if t["symbol"] == "LUMN")
    assert lumn["relevance"] == pytest.approx(0.95) and lumn["highlights"][0]["text"] == "Lumen agreed"
    assert [(e["type"], e["entity"], e["attributes"]["amount"]) for e in article["events"]] == [
        ("acquisition", "Alkira", 475000000)
    ]


async def test_missing_article_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/articles/9000000000000000000")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


async def test_list_pages_follow_next(client: httpx.AsyncClient, source: str) -> None:
    times = [f"2026-11-{day:02d}T10:00:00Z" for day in range(1, 8)]
    batch = [article_json(source, published_at=t) for t in times]
    assert (await ingest(client, {"articles": batch})).status_code == 201
    seen: list[str] = []
    url: str | None = f"/v1/articles?source={source}&limit=3"
    pages = 0
    while url is not None:
        response = await client.get(url)
        assert response.status_code == 200
        page = response.json()
        seen += [a["published_at"] for a in page["data"]]
        assert all("body" not in a for a in page["data"])
        if page["next"] is not None:
            assert response.headers["link"] == f'<{page["next"]}>; rel="next"'
            assert f"cursor={page['next_cursor']}" in page["next"] and f"source={source}" in page["next"]
        else:
            assert "link" not in response.headers
        url = page["next"]
        pages += 1
    assert pages == 3
    assert seen == sorted(times, reverse=True)
    asc = (await client.get("/v1/articles", params={"source": source, "order": "published_asc"})).json()
    assert [a["published_at"] for a in asc["data"]] == times


async def test_list_filters(client: httpx.AsyncClient, source: str, pool: asyncpg.Pool) -> None:
    word = f"zyx{uuid.uuid4().hex[:8]}"
    a = (
        await ingest(client, article_json(source, tickers=["LUMN"], published_at="2026-10-01T00:00:00Z"))
    ).json()
    b = (
        await ingest(
            client,
            article_json(source, tickers=["LUMN", "AAPL"], body=f"Apple and Lumen {word}."),
        )
    ).json()
    c = (await ingest(client, article_json(source, tickers=["MSFT"]))).json()
    await score(pool, c["id"], score=-0.5, label="moderately negative", event_type="layoffs")

    async def ids(**params: Any) -> list[int]:
        response = await client.get("/v1/articles", params={"source": source, **params})
        assert response.status_code == 200, response.text
        return [x["id"] for x in response.json()["data"]]

    assert await ids(tickers="LUMN") == [b["id"], a["id"]]
    assert await ids(tickers="aapl,$MSFT") == [c["id"], b["id"]]
    assert await ids(tickers_all="LUMN,AAPL") == [b["id"]]
    assert await ids(**{"from": "2026-11-01T00:00:00Z"}) == [c["id"], b["id"]]
    assert await ids(to="2026-11-01T00:00:00+00:00") == [a["id"]]
    assert await ids(q=word) == [b["id"]]
    assert await ids(status="scored") == [c["id"]]
    assert await ids(status="pending") == [b["id"], a["id"]]
    assert await ids(label="moderately negative") == [c["id"]]
    assert await ids(label=["neutral", "moderately negative"]) == [c["id"]]
    assert await ids(score_max="-0.4") == [c["id"]]
    assert await ids(score_min="0") == []
    assert await ids(event_type="layoffs") == [c["id"]]
    assert await ids(event_type="acquisition") == []
    full = (await client.get("/v1/articles", params={"source": source, "include_body": "true"})).json()
    assert all("body" in x for x in full["data"])


async def test_plus_sign_sent_unencoded_still_parses(client: httpx.AsyncClient, source: str) -> None:
    await ingest(client, article_json(source, published_at="2026-11-20T13:30:00Z"))
    response = await client.get(f"/v1/articles?source={source}&from=2026-11-20T14:00:00+01:00")
    assert response.status_code == 200 and len(response.json()["data"]) == 1


@pytest_asyncio.fixture
async def statement_log(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, auth_headers: dict[str, str]
) -> AsyncIterator[tuple[httpx.AsyncClient, list[str]]]:
    """A fresh app whose pool logs every SQL statement it runs."""
    statements: list[str] = []
    original: Callable[[asyncpg.Connection], Awaitable[None]] = db.pool.init_connection

    def log(query: Any) -> None:
        # asyncpg's pool resets a connection on release; that is not a query of the endpoint.
        if not query.query.startswith("SELECT pg_advisory_unlock_all()"):
            statements.append(query.query)

    async def init(conn: asyncpg.Connection) -> None:
        await original(conn)
        conn.add_query_logger(log)

    monkeypatch.setattr(db.pool, "init_connection", init)
    app: Starlette = create_app(settings)
    async with serve(app, headers=auth_headers) as c:
        yield c, statements


async def test_list_runs_constant_sql_per_page(
    statement_log: tuple[httpx.AsyncClient, list[str]], source: str
) -> None:
    client, statements = statement_log
    batch = [article_json(source, tickers=["LUMN", "AAPL", "MSFT"]) for _ in range(40)]
    assert (await ingest(client, {"articles": batch})).status_code == 201
    counts = {}
    for limit in (1, 10, 40):
        statements.clear()
        response = await client.get("/v1/articles", params={"source": source, "limit": limit})
        assert len(response.json()["data"]) == limit
        assert all(len(a["tickers"]) == 3 for a in response.json()["data"])
        counts[limit] = len(statements)
    # One statement renders the whole page (services.articles.list_articles_json); the Python fallback
    # reads three (the page, its tickers, its events).
    assert counts[1] == counts[10] == counts[40] == 1, counts
