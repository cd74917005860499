"""The Alpha Vantage-compatible feed parses as an Alpha Vantage client parses NEWS_SENTIMENT."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio

from services.feed import av_label
from tests.auth.conftest import MakeKey

SCORES = [(-0.5, 0.9), (-0.2, 0.8), (0.0, 0.7), (0.2, 0.6), (0.68, 0.95)]


@pytest_asyncio.fixture(scope="module")
async def scored(pool: asyncpg.Pool) -> AsyncIterator[str]:
    """Five scored articles on LUMN (and one also on AAPL) with one event, under a source of their own."""
    source = f"feed-{uuid.uuid4().hex[:8]}"
    async with pool.acquire() as conn:
        source_id = await conn.fetchval("insert into sources (name) values ($1) returning id", source)
        for i, (score, relevance) in enumerate(SCORES):
            article_id = await conn.fetchval(
                """insert into articles (source_id, external_id, url, content_hash, title, body, authors,
                       published_at, status, sentiment_score, sentiment_label, sentiment_confidence,
                       sentiment_model, scored_at)
                   values ($1, $2, $3, $4, $5, 'Lumen body.', '{Ann Writer}', $6, 'scored', $7, 'x', 0.9,
                           'm1', now())
                   returning id""",
                source_id,
                f"e{i}",
                f"https://www.example.com/{source}/{i}",
                uuid.uuid4().bytes + uuid.uuid4().bytes,
                f"Lumen story {i}",
                datetime.fromisoformat(f"2026-04-0{i + 1}T12:00:00+00:00"),
                score,
            )
            symbols = ["LUMN", "AAPL"] if i == 4 else ["LUMN"]
            for symbol in symbols:
                await conn.execute(
                    """insert into article_tickers (article_id, symbol, published_at, relevance, score, label,
                           confidence, model)
                       select $1, $2, published_at, $3, $4, 'x', 0.9, 'm1' from articles where id = $1""",
                    article_id,
                    symbol,
                    relevance,
                    score,
                )
            if i == 4:
                await conn.execute(
                    """insert into events (article_id, model, ordinal, type, symbol, confidence, published_at)
                       values ($1, 'm1', 0, 'acquisition', 'LUMN', 0.8, now())""",
                    article_id,
                )
        # An unscored article never shows: Alpha Vantage has no "pending".
        await conn.execute(
            """insert into articles (source_id, content_hash, title, body, published_at)
               values ($1, $2, 'pending', 'b', '2026-04-03T00:00:00Z')""",
            source_id,
            uuid.uuid4().bytes,
        )
    yield source


# Alpha Vantage's NEWS_SENTIMENT keys, exactly: a client with a strict model must find nothing else.
AV_TOP = {"items", "sentiment_score_definition", "relevance_score_definition", "feed"}
AV_ITEM = {
    "title",
    "url",
    "time_published",
    "authors",
    "summary",
    "banner_image",
    "source",
    "category_within_source",
    "source_domain",
    "topics",
    "overall_sentiment_score",
    "overall_sentiment_label",
    "ticker_sentiment",
}


def parse_like_an_av_client(data: dict[str, Any]) -> list[dict[str, Any]]:
    """What AV wrappers do with the JSON: string counts, float() on string scores, fixed labels."""
    assert "Information" not in data and "Note" not in data
    # Only the cursor is added, and only when another page follows.
    assert set(data) - {"next_cursor"} == AV_TOP, set(data)
    assert isinstance(data["items"], str) and int(data["items"]) == len(data["feed"])
    assert isinstance(data["sentiment_score_definition"], str)
    assert isinstance(data["relevance_score_definition"], str)
    rows = []
    for item in data["feed"]:
        assert set(item) == AV_ITEM, set(item) ^ AV_ITEM
        for name in (
            "title",
            "url",
            "time_published",
            "summary",
            "source",
            "category_within_source",
            "source_domain",
        ):
            assert isinstance(item[name], str), name
        assert isinstance(item["authors"], list)
        datetime.strptime(item["time_published"], "%Y%m%dT%H%M%S")
        assert isinstance(item["overall_sentiment_score"], float)
        assert item["overall_sentiment_label"] == av_label(item["overall_sentiment_score"])
        for topic in item["topics"]:
            assert set(topic) == {"topic", "relevance_score"}
            assert isinstance(topic["topic"], str) and isinstance(topic["relevance_score"], str)
            float(topic["relevance_score"])
        for t in item["ticker_sentiment"]:
            assert set(t) == {"ticker", "relevance_score", "ticker_sentiment_score", "ticker_sentiment_label"}
            assert isinstance(t["relevance_score"], str) and isinstance(t["ticker_sentiment_score"], str)
            assert t["ticker_sentiment_label"] == av_label(float(t["ticker_sentiment_score"]))
        rows.append(item)
    return rows


@pytest.fixture
async def reader(bare: httpx.AsyncClient, make_key: MakeKey) -> dict[str, str]:
    return {"X-API-Key": await make_key(["read"])}


async def test_av_request_parses(bare: httpx.AsyncClient, reader: dict[str, str], scored: str) -> None:
    response = await bare.get(
        "/v1/news-sentiment",
        params={
            "function": "NEWS_SENTIMENT",
            "tickers": "LUMN",
            "time_from": "20260401T0000",
            "time_to": "20260410T0000",
            "sort": "LATEST",
            "limit": "50",
        },
        headers=reader,
    )
    assert response.status_code == 200, response.text
    rows = [r for r in parse_like_an_av_client(response.json()) if r["source"] == scored]
    assert [r["title"] for r in rows] == [f"Lumen story {i}" for i in (4, 3, 2, 1, 0)]
    labels = [r["overall_sentiment_label"] for r in rows]
    assert labels == ["Bullish", "Somewhat-Bullish", "Neutral", "Somewhat-Bearish", "Bearish"]
    assert rows[0]["time_published"] == "20260405T120000"
    assert rows[0]["source_domain"] == "example.com"
    assert rows[0]["topics"] == [{"topic": "Mergers & Acquisitions", "relevance_score": "0.800000"}]
    assert rows[0]["ticker_sentiment"][0]["relevance_score"] == "0.950000"


@pytest.mark.parametrize(
    ("score", "label"),
    [
        (-0.35, "Bearish"),
        (-0.15, "Somewhat-Bearish"),
        (-0.1499, "Neutral"),
        (0.15, "Somewhat-Bullish"),
        (0.35, "Bullish"),
        (0.1499, "Neutral"),
    ],
)
def test_av_thresholds(score: float, label: str) -> None:
    assert av_label(score) == label


async def test_tickers_mode_numeric_and_cursor(
    bare: httpx.AsyncClient, reader: dict[str, str], scored: str
) -> None:
    both = await bare.get("/v1/news-sentiment", params={"tickers": "LUMN,AAPL"}, headers=reader)
    assert [r["title"] for r in both.json()["feed"] if r["source"] == scored] == ["Lumen story 4"]
    any_ = await bare.get(
        "/v1/news-sentiment",
        # Bounded to this fixture's dates: other packages' tests add newer AAPL articles to the database.
        params={
            "tickers": "LUMN,AAPL",
            "tickers_mode": "any",
            "numeric": "true",
            "time_from": "20260401T0000",
            "time_to": "20260410T0000",
        },
        headers=reader,
    )
    mine = [r for r in any_.json()["feed"] if r["source"] == scored]
    assert len(mine) == 5
    assert isinstance(mine[0]["ticker_sentiment"][0]["relevance_score"], float)
    seen: list[str] = []
    params = {
        "tickers": "LUMN",
        "time_from": "20260401T0000",
        "time_to": "20260410T0000",
        "limit": "2",
        "sort": "EARLIEST",
    }
    while True:
        page = (await bare.get("/v1/news-sentiment", params=params, headers=reader)).json()
        seen += [r["title"] for r in page["feed"] if r["source"] == scored]
        if "next_cursor" not in page:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == [f"Lumen story {i}" for i in range(5)]


async def test_bad_av_parameters(bare: httpx.AsyncClient, reader: dict[str, str]) -> None:
    for params in (
        {"time_from": "2026-04-01"},
        {"sort": "BEST"},
        {"limit": "1001"},
        {"topics": "blockchain"},
        {"function": "TIME_SERIES_DAILY"},
        {"cursor": "nope"},
    ):
        response = await bare.get("/v1/news-sentiment", params=params, headers=reader)
        assert 400 <= response.status_code < 500, (params, response.status_code)
        assert response.headers["content-type"].startswith("application/problem+json")
