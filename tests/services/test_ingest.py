"""Ingest: idempotency by key precedence, one transaction with the job, strict validation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from core.errors import InvalidInput
from core.records import ArticleIn, TickerRef
from db.tickers import upsert_tickers
from services.deps import Deps
from services.ingest import ingest_articles


@pytest.fixture(autouse=True)
async def _tickers(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await upsert_tickers(
            conn,
            tickers=[
                TickerRef("LUMN", "Lumen Technologies Inc", ("Lumen Technologies", "Lumen", "$LUMN")),
                TickerRef("AAPL", "Apple Inc.", ("Apple", "$AAPL")),
            ],
        )


def _article(source: str, **overrides: object) -> ArticleIn:
    fields: dict[str, object] = {
        "source": source,
        "title": f"Lumen raises guidance {uuid.uuid4().hex}",
        "body": "Lumen Technologies raised its full-year free cash flow guidance.",
        "published_at": datetime(2026, 11, 20, 13, 30, tzinfo=UTC),
    }
    fields.update(overrides)
    return ArticleIn.model_validate(fields)


async def _jobs(pool: asyncpg.Pool, article_id: int) -> int:
    return int(await pool.fetchval("select count(*) from score_jobs where article_id = $1", article_id))


async def test_same_external_id_returns_existing(deps: Deps, pool: asyncpg.Pool) -> None:
    source = f"src-{uuid.uuid4().hex}"
    first = await ingest_articles(deps, articles=[_article(source, external_id="e1")])
    again = await ingest_articles(deps, articles=[_article(source, external_id="e1", title="edited")])
    assert first[0].created and not again[0].created
    assert again[0].article.id == first[0].article.id
    assert first[0].article.status == "pending" and first[0].article.sentiment is None
    assert await _jobs(pool, first[0].article.id) == 1


async def test_url_then_content_hash_precedence(deps: Deps) -> None:
    source = f"src-{uuid.uuid4().hex}"
    url = f"https://news.example/{uuid.uuid4().hex}"
    a = await ingest_articles(deps, articles=[_article(source, url=url)])
    b = await ingest_articles(deps, articles=[_article(f"{source}-other", url=url)])
    assert b[0].article.id == a[0].article.id and not b[0].created
    body = f"Unique body {uuid.uuid4().hex}"
    c = await ingest_articles(deps, articles=[_article(source, title="Same", body=body)])
    d = await ingest_articles(deps, articles=[_article(source, title="  same ", body=body.upper())])
    assert d[0].article.id == c[0].article.id and not d[0].created


async def test_duplicates_inside_one_batch_create_once(deps: Deps, pool: asyncpg.Pool) -> None:
    source = f"src-{uuid.uuid4().hex}"
    batch = [_article(source, external_id="x"), _article(source, external_id="x"), _article(source)]
    results = await ingest_articles(deps, articles=batch)
    assert [r.created for r in results] == [True, False, True]
    assert results[0].article.id == results[1].article.id
    assert await _jobs(pool, results[0].article.id) == 1


async def test_explicit_tickers_are_linked(deps: Deps, pool: asyncpg.Pool) -> None:
    result = await ingest_articles(deps, articles=[_article(f"s-{uuid.uuid4().hex}", tickers=["$lumn"])])
    rows = await pool.fetch(
        "select symbol, explicit, published_at from article_tickers where article_id = $1",
        result[0].article.id,
    )
    assert [(r["symbol"], r["explicit"]) for r in rows] == [("LUMN", True)]
    assert rows[0]["published_at"] == result[0].article.published_at


async def test_unknown_ticker_rejects_whole_batch(deps: Deps, pool: asyncpg.Pool) -> None:
    source = f"src-{uuid.uuid4().hex}"
    with pytest.raises(InvalidInput) as caught:
        await ingest_articles(deps, articles=[_article(source), _article(source, tickers=["ZZZZQ"])])
    assert caught.value.code == "unknown_ticker"
    count = await pool.fetchval(
        "select count(*) from articles a join sources s on s.id = a.source_id where s.name = $1", source
    )
    assert count == 0


async def test_batch_limits(deps: Deps) -> None:
    with pytest.raises(InvalidInput):
        await ingest_articles(deps, articles=[])
    source = f"src-{uuid.uuid4().hex}"
    too_many = [_article(source, external_id=str(i)) for i in range(deps.settings.max_batch + 1)]
    with pytest.raises(InvalidInput) as caught:
        await ingest_articles(deps, articles=too_many)
    assert caught.value.code == "batch_too_large"


@pytest.mark.parametrize(
    "overrides",
    [
        {"title": "bad\x00title"},
        {"body": "nul\x00body"},
        {"published_at": "2026-11-20T13:30:00"},
        {"published_at": "3026-01-01T00:00:00Z"},
        {"url": "ftp://x"},
        {"tickers": ["not a ticker"]},
        {"language": "english!"},
        {"unknown": 1},
        {"title": "x" * 1001},
    ],
)
def test_article_in_rejects(overrides: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        _article("s", **overrides)
