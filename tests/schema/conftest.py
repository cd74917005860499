"""GraphQL test fixtures: reference tickers, scored sample data, and an HTTP client over the real view."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from core.records import ArticleIn, TickerRef
from core.settings import Settings
from db.tickers import upsert_tickers
from schema.view import graphql_routes
from services.deps import Deps
from services.ingest import ingest_articles

TICKERS = (
    TickerRef("LUMN", "Lumen Technologies Inc", ("Lumen Technologies", "Lumen", "$LUMN"), "NYSE", "Telecom"),
    TickerRef("AAPL", "Apple Inc.", ("Apple", "$AAPL"), "NASDAQ", "Technology", "Consumer Electronics"),
    TickerRef("MSFT", "Microsoft Corporation", ("Microsoft", "$MSFT"), "NASDAQ", "Technology"),
    TickerRef("NVDA", "NVIDIA Corporation", ("Nvidia", "$NVDA"), "NASDAQ", "Technology"),
    TickerRef("JPM", "JPMorgan Chase & Co.", ("JPMorgan", "$JPM"), "NYSE", "Financials"),
)
MODEL = "test-model-1"


@pytest_asyncio.fixture(scope="session", autouse=True)
async def reference_tickers(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await upsert_tickers(conn, tickers=TICKERS)


@pytest.fixture(scope="session")
def gql_deps(settings: Settings, pool: asyncpg.Pool) -> Deps:
    return Deps(settings=settings, pool=pool)


@pytest_asyncio.fixture(scope="session")
async def client(settings: Settings, gql_deps: Deps) -> AsyncIterator[httpx.AsyncClient]:
    """The real ASGI view under a Starlette app whose lifespan state carries ``deps`` (as api.app does)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        yield {"deps": gql_deps}

    app = Starlette(routes=graphql_routes(settings), lifespan=lifespan)
    # httpx's ASGITransport does not run the lifespan: run it here and hand its state to each request.
    async with app.router.lifespan_context(app) as state:

        async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
            scope["state"] = dict(state or {})
            await app(scope, receive, send)

        transport = httpx.ASGITransport(app=with_state)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


async def gql(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = orjson.loads(response.content)
    return body


def data_of(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


def unique_source(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def article_in(source: str, n: int, *, tickers: Sequence[str] = (), **overrides: Any) -> ArticleIn:
    fields: dict[str, Any] = {
        "source": source,
        "external_id": f"{source}-{n}",
        "title": f"Lumen Technologies article {n} {source}",
        "body": f"Lumen Technologies agreed to buy Alkira for $475 million in cash. Item {n} of {source}.",
        "published_at": datetime(2026, 3, 1, 12, tzinfo=UTC) + timedelta(hours=n),
        "tickers": list(tickers),
    }
    fields.update(overrides)
    return ArticleIn.model_validate(fields)


@dataclass(frozen=True, slots=True)
class Scored:
    article_ids: list[int]
    source: str


async def score(
    pool: asyncpg.Pool, article_id: int, *, value: float, label: str, symbols: Sequence[str] = ()
) -> None:
    """Write what the scoring worker would: overall and ticker sentiment and one acquisition event."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """update articles set status = 'scored', sentiment_score = $2, sentiment_label = $3,
                   sentiment_confidence = 0.9, sentiment_model = $4, scored_at = now() where id = $1""",
            article_id,
            value,
            label,
            MODEL,
        )
        highlight = {
            "text": "Lumen Technologies agreed to buy Alkira",
            "section": "body",
            "start": 0,
            "end": 39,
            "score": 0.7,
        }
        for symbol in symbols:
            await conn.execute(
                """insert into article_tickers (article_id, symbol, published_at, relevance, score, label,
                       confidence, highlights, model, scored_at)
                   select id, $2, published_at, 0.95, $3, $4, 0.8, $5, $6, now() from articles where id = $1
                   on conflict (article_id, symbol) do update set relevance = 0.95, score = $3, label = $4,
                       confidence = 0.8, highlights = $5, model = $6, scored_at = now()""",
                article_id,
                symbol,
                value,
                label,
                [highlight],
                MODEL,
            )
        await conn.execute(
            """insert into events (article_id, model, ordinal, type, symbol, entity, attributes, evidence,
                   confidence, published_at)
               select id, $2, 0, 'acquisition', $3, 'Alkira', $4, $5, 0.85, published_at
               from articles where id = $1""",
            article_id,
            MODEL,
            symbols[0] if symbols else None,
            {"amount": 475_000_000, "currency": "USD", "consideration": "cash"},
            highlight,
        )


async def ingest_scored(deps: Deps, pool: asyncpg.Pool, source: str, count: int) -> Scored:
    """``count`` scored articles of one source, each with LUMN and AAPL, sentiment 0.68 and one event."""
    results = await ingest_articles(
        deps, articles=[article_in(source, n, tickers=["LUMN", "AAPL"]) for n in range(count)]
    )
    ids = [r.article.id for r in results]
    for article_id in ids:
        await score(pool, article_id, value=0.68, label="moderately positive", symbols=["LUMN", "AAPL"])
    return Scored(article_ids=ids, source=source)
