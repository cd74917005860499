"""Sentiment series buckets as the worker keeps them, read through ``services.series``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import InvalidInput, NotFound
from core.records import ArticleIn, TickerRef
from db import tickers as db_tickers
from services.deps import Deps
from services.series import get_sentiment_series
from tests.worker.conftest import ingest, run_burst

DAY = datetime(2025, 3, 4, tzinfo=UTC)


async def test_hour_and_day_buckets_follow_the_newest_scores(wdeps: Deps) -> None:
    async with wdeps.connection() as conn:
        await db_tickers.upsert_tickers(conn, tickers=[TickerRef("ZZSR", "Zeta Series Holdings")])
    times = [
        DAY + timedelta(hours=10, minutes=5),
        DAY + timedelta(hours=10, minutes=40),
        DAY + timedelta(hours=11),
    ]
    bodies = [
        "Shares rose after results beat estimates.",
        "Revenue fell and the outlook was cut.",
        "A quiet day.",
    ]
    await ingest(
        wdeps,
        [
            ArticleIn(source="series-tests", title=f"Series {i}", body=b, published_at=t, tickers=["ZZSR"])
            for i, (t, b) in enumerate(zip(times, bodies, strict=True))
        ],
    )
    await run_burst(wdeps)
    rows = await wdeps.pool.fetch(
        "select published_at, relevance, score from article_tickers"
        " where symbol = 'ZZSR' order by published_at"
    )
    assert len(rows) == 3

    hours = await get_sentiment_series(
        wdeps,
        symbol="ZZSR",
        interval="hour",
        start=DAY + timedelta(hours=9, minutes=30),
        end=DAY + timedelta(hours=12),
    )
    assert [(p.start.hour, p.article_count) for p in hours] == [(9, 0), (10, 2), (11, 1)]
    assert hours[0].score is None
    ten = rows[:2]
    expected = sum(r["relevance"] * r["score"] for r in ten) / sum(r["relevance"] for r in ten)
    assert hours[1].score == pytest.approx(expected, abs=1e-6)
    assert hours[1].positive + hours[1].negative + hours[1].neutral == 2
    assert hours[1].end - hours[1].start == timedelta(hours=1)

    days = await get_sentiment_series(
        wdeps, symbol="ZZSR", interval="day", start=DAY, end=DAY + timedelta(days=2)
    )
    assert [p.article_count for p in days] == [3, 0]


async def test_series_rejects_bad_ranges_and_unknown_tickers(wdeps: Deps) -> None:
    with pytest.raises(InvalidInput):
        await get_sentiment_series(wdeps, symbol="AAPL", interval="hour", start=DAY, end=DAY)
    with pytest.raises(InvalidInput):
        await get_sentiment_series(
            wdeps, symbol="AAPL", interval="hour", start=DAY, end=DAY + timedelta(days=400)
        )
    with pytest.raises(NotFound):
        await get_sentiment_series(
            wdeps, symbol="NOPE", interval="day", start=DAY, end=DAY + timedelta(days=1)
        )
