"""Keyset listing and filters over real rows, scored by hand so filters have something to bite on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from core.errors import InvalidCursor, InvalidInput
from core.records import ArticleFilter, ArticleIn, TickerRef
from core.scale import label_of
from db.tickers import upsert_tickers
from services.articles import list_articles
from services.deps import Deps
from services.ingest import ingest_articles

BASE = datetime(2026, 10, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
async def corpus(pool: asyncpg.Pool, settings: object) -> str:
    """25 articles one hour apart in their own source; every 5th mentions AAPL, every 2nd LUMN."""
    async with pool.acquire() as conn:
        await upsert_tickers(
            conn,
            tickers=[
                TickerRef("LUMN", "Lumen Technologies Inc", ("Lumen",)),
                TickerRef("AAPL", "Apple Inc.", ("Apple",)),
            ],
        )
    from core.settings import Settings

    assert isinstance(settings, Settings)
    deps = Deps(settings=settings, pool=pool)
    source = f"keyset-{uuid.uuid4().hex}"
    articles = []
    for i in range(25):
        tickers = (["LUMN"] if i % 2 == 0 else []) + (["AAPL"] if i % 5 == 0 else [])
        articles.append(
            ArticleIn(
                source=source,
                external_id=str(i),
                title=f"Article {i} {'merger talks' if i % 3 == 0 else 'quarterly update'}",
                body=f"Body of article {i}.",
                published_at=BASE + timedelta(hours=i),
                tickers=tickers,
            )
        )
    results = await ingest_articles(deps, articles=articles)
    # Score a few by hand: the worker is tested elsewhere; here only the filter SQL matters.
    for r in results:
        i = int(r.article.external_id or 0)
        if i < 10:
            score = -0.9 + i * 0.18
            label = label_of(score)
            await pool.execute(
                "update articles set status = 'scored', sentiment_score = $2, sentiment_label = $3,"
                " sentiment_confidence = 0.8, sentiment_model = 't', scored_at = now() where id = $1",
                r.article.id,
                score,
                label,
            )
    return source


async def _all_pages(deps: Deps, f: ArticleFilter, first: int, **kw: object) -> list[int]:
    ids: list[int] = []
    after = None
    while True:
        page = await list_articles(deps, filter=f, first=first, after=after, **kw)  # type: ignore[arg-type]
        ids += [int(a.external_id or -1) for a in page.items]
        if page.next_cursor is None:
            return ids
        after = page.next_cursor


async def test_keyset_walks_every_row_once(deps: Deps, corpus: str) -> None:
    f = ArticleFilter(sources=(corpus,))
    assert await _all_pages(deps, f, 7) == list(range(24, -1, -1))
    assert await _all_pages(deps, f, 4, order="published_asc") == list(range(25))


async def test_single_ticker_uses_link_table_and_date_range(deps: Deps, corpus: str) -> None:
    f = ArticleFilter(
        sources=(corpus,),
        tickers_any=("LUMN",),
        published_from=BASE + timedelta(hours=4),
        published_to=BASE + timedelta(hours=14),
    )
    assert await _all_pages(deps, f, 2) == [12, 10, 8, 6, 4]


async def test_any_and_all_tickers(deps: Deps, corpus: str) -> None:
    any_ = ArticleFilter(sources=(corpus,), tickers_any=("LUMN", "AAPL"))
    assert await _all_pages(deps, any_, 100) == [i for i in range(24, -1, -1) if i % 2 == 0 or i % 5 == 0]
    all_ = ArticleFilter(sources=(corpus,), tickers_all=("LUMN", "AAPL"))
    assert await _all_pages(deps, all_, 100) == [20, 10, 0]


async def test_search_score_and_status(deps: Deps, corpus: str) -> None:
    merger = ArticleFilter(sources=(corpus,), search="merger")
    assert await _all_pages(deps, merger, 100) == [i for i in range(24, -1, -1) if i % 3 == 0]
    negative = ArticleFilter(sources=(corpus,), score_max=-0.5)
    assert await _all_pages(deps, negative, 100) == [2, 1, 0]
    strongly = ArticleFilter(sources=(corpus,), labels=("strongly negative",))
    assert await _all_pages(deps, strongly, 100) == [0]
    pending = ArticleFilter(sources=(corpus,), status="pending")
    assert len(await _all_pages(deps, pending, 100)) == 15


async def test_bad_cursor_and_sizes(deps: Deps, corpus: str) -> None:
    f = ArticleFilter(sources=(corpus,))
    with pytest.raises(InvalidCursor):
        await list_articles(deps, filter=f, after="not-a-cursor")
    for first in (0, 101):
        with pytest.raises(InvalidInput):
            await list_articles(deps, filter=f, first=first)
    with pytest.raises(InvalidInput):
        await list_articles(deps, filter=ArticleFilter(labels=("bullish",)))
