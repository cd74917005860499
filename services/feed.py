"""The Alpha Vantage-compatible news feed (``NEWS_SENTIMENT``): same field names, types and labels.

Alpha Vantage (AV) quirks kept on purpose so an AV client parses us unchanged: ``items`` is a string,
``time_published`` is ``YYYYMMDDTHHMMSS``, ``overall_sentiment_score`` is a number but
``relevance_score`` and ``ticker_sentiment_score`` are strings (``numeric=True`` sends numbers), and
labels use AV's five bands, not our seven: <= -0.35 Bearish, <= -0.15 Somewhat-Bearish, < 0.15
Neutral, < 0.35 Somewhat-Bullish, else Bullish. Only scored articles appear: AV has no "pending".
Beyond AV: ``tickers_mode="any"`` (AV only does "all") and an opaque forward cursor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from core.errors import InvalidInput
from core.records import Article, ArticleFilter, ArticleTicker, Event
from db import article_tickers as db_article_tickers
from db import articles as db_articles
from db import events as db_events
from services.cursors import decode_cursor, encode_cursor
from services.deps import Deps

Sort = Literal["LATEST", "EARLIEST", "RELEVANCE"]
TickersMode = Literal["any", "all"]

MAX_LIMIT = 1000
DEFAULT_LIMIT = 50
SENTIMENT_SCORE_DEFINITION = (
    "x <= -0.35: Bearish; -0.35 < x <= -0.15: Somewhat-Bearish; -0.15 < x < 0.15: Neutral; "
    "0.15 <= x < 0.35: Somewhat_Bullish; x >= 0.35: Bullish"
)
RELEVANCE_SCORE_DEFINITION = "0 < x <= 1, with a higher score indicating higher relevance."

# AV topic slug -> (display name AV returns, our event types that carry it).
TOPICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "earnings": ("Earnings", ("earnings", "guidance")),
    "ipo": ("IPO", ("offering",)),
    "mergers_and_acquisitions": ("Mergers & Acquisitions", ("acquisition", "merger")),
}


def av_label(score: float) -> str:
    if score <= -0.35:
        return "Bearish"
    if score <= -0.15:
        return "Somewhat-Bearish"
    if score < 0.15:
        return "Neutral"
    if score < 0.35:
        return "Somewhat-Bullish"
    return "Bullish"


def av_time(when: datetime) -> str:
    return when.strftime("%Y%m%dT%H%M%S")


@dataclass(frozen=True, slots=True)
class FeedQuery:
    tickers: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    time_from: datetime | None = None
    time_to: datetime | None = None
    sort: Sort = "LATEST"
    limit: int = DEFAULT_LIMIT
    tickers_mode: TickersMode = "all"
    numeric: bool = False
    cursor: str | None = None


def _score_text(value: float, numeric: bool) -> str | float:
    # AV sends six decimals in a string; numbers keep the same rounding.
    return round(value, 6) if numeric else f"{value:.6f}"


def _topics(events: Sequence[Event], numeric: bool) -> list[dict[str, Any]]:
    best: dict[str, float] = {}
    for event in events:
        for name, types in TOPICS.values():
            if event.type in types:
                best[name] = max(best.get(name, 0.0), event.confidence)
    return [{"topic": name, "relevance_score": _score_text(v, numeric)} for name, v in best.items()]


def _ticker_sentiment(tickers: Sequence[ArticleTicker], numeric: bool) -> list[dict[str, Any]]:
    return [
        {
            "ticker": t.symbol,
            "relevance_score": _score_text(t.relevance, numeric),
            "ticker_sentiment_score": _score_text(t.score, numeric),
            "ticker_sentiment_label": av_label(t.score),
        }
        for t in tickers
        if t.relevance is not None and t.score is not None
    ]


def _domain(article: Article) -> str:
    host = urlsplit(article.url).hostname if article.url else None
    return (host or article.source).removeprefix("www.")


def _item(
    article: Article, tickers: Sequence[ArticleTicker], events: Sequence[Event], numeric: bool
) -> dict[str, Any]:
    assert article.sentiment is not None  # the query asks for scored articles only
    summary = article.summary or article.body[:500]
    return {
        "title": article.title,
        "url": article.url or "",
        "time_published": av_time(article.published_at),
        "authors": list(article.authors),
        "summary": summary,
        "banner_image": None,
        "source": article.source,
        "category_within_source": "n/a",
        "source_domain": _domain(article),
        "topics": _topics(events, numeric),
        "overall_sentiment_score": round(article.sentiment.score, 6),
        "overall_sentiment_label": av_label(article.sentiment.score),
        "ticker_sentiment": _ticker_sentiment(tickers, numeric),
    }


def _check(query: FeedQuery) -> None:
    if not 1 <= query.limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", field="limit", code="out_of_range")
    unknown = [t for t in query.topics if t not in TOPICS]
    if unknown:
        raise InvalidInput(
            f"unsupported topic(s): {', '.join(unknown)}; supported: {', '.join(TOPICS)}", field="topics"
        )
    if len(query.tickers) > 50:
        raise InvalidInput("at most 50 tickers", field="tickers")
    if query.time_from and query.time_to and query.time_from > query.time_to:
        raise InvalidInput("time_from must not be after time_to", field="time_from")


def _relevance(tickers: Sequence[ArticleTicker], wanted: tuple[str, ...]) -> float:
    scores = [t.relevance or 0.0 for t in tickers if not wanted or t.symbol in wanted]
    return max(scores, default=0.0)


async def news_sentiment(deps: Deps, *, query: FeedQuery) -> dict[str, Any]:
    """One page of the feed, rendered as AV renders it, plus ``next_cursor`` when more follow."""
    _check(query)
    event_types = tuple(dict.fromkeys(t for slug in query.topics for t in TOPICS[slug][1]))
    filter = ArticleFilter(
        tickers_any=query.tickers if query.tickers_mode == "any" else (),
        tickers_all=query.tickers if query.tickers_mode == "all" else (),
        published_from=query.time_from,
        published_to=query.time_to,
        event_types=event_types,
        status="scored",
    )
    after = decode_cursor(query.cursor) if query.cursor else None
    order: Literal["published_desc", "published_asc"] = (
        "published_asc" if query.sort == "EARLIEST" else "published_desc"
    )
    async with deps.connection() as conn:
        rows = await db_articles.list_articles(
            conn, filter=filter, order=order, limit=query.limit + 1, after=after
        )
        page = rows[: query.limit]
        ids = [a.id for a in page]
        tickers = await db_article_tickers.list_article_tickers(conn, article_ids=ids)
        events = await db_events.list_events_for_articles(conn, article_ids=ids)
    if query.sort == "RELEVANCE":
        # Ranked within the page (the newest `limit` matches); the cursor stays on time order.
        page = sorted(page, key=lambda a: -_relevance(tickers.get(a.id, []), query.tickers))
    feed = [_item(a, tickers.get(a.id, []), events.get(a.id, []), query.numeric) for a in page]
    body: dict[str, Any] = {
        "items": str(len(feed)),
        "sentiment_score_definition": SENTIMENT_SCORE_DEFINITION,
        "relevance_score_definition": RELEVANCE_SCORE_DEFINITION,
        "feed": feed,
    }
    if len(rows) > query.limit and rows[: query.limit]:
        last = rows[query.limit - 1]
        body["next_cursor"] = encode_cursor(last.published_at, last.id)
    return body
