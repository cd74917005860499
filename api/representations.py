"""JSON shapes of the REST API; each mirrors a component schema in ``openapi/openapi.yaml``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson
from starlette.requests import Request

from core.records import Article, ArticleTicker, Event, Highlight, Page, Sentiment, SeriesPoint, Ticker
from core.scale import SCALE, label_of

Json = dict[str, Any]


def sentiment(value: Sentiment | None) -> Json | None:
    if value is None:
        return None
    return {
        "score": value.score,
        "label": value.label,
        "confidence": value.confidence,
        "model": value.model,
        "scored_at": value.scored_at,
    }


def highlight(value: Highlight) -> Json:
    return {
        "text": value.text,
        "section": value.section,
        "start": value.start,
        "end": value.end,
        "score": value.score,
    }


def article_ticker(value: ArticleTicker) -> Json:
    # A linked ticker has no score until the article is scored: null, never a fake 0.
    scored = value.score is not None and value.label is not None
    return {
        "symbol": value.symbol,
        "name": value.name,
        "explicit": value.explicit,
        "relevance": value.relevance,
        "sentiment": (
            {"score": value.score, "label": value.label, "confidence": value.confidence, "model": value.model}
            if scored
            else None
        ),
        "highlights": [highlight(h) for h in value.highlights],
    }


def event(value: Event) -> Json:
    return {
        "id": value.id,
        "article_id": value.article_id,
        "type": value.type,
        "symbol": value.symbol,
        "entity": value.entity,
        "attributes": value.attributes,
        "evidence": highlight(value.evidence) if value.evidence is not None else None,
        "confidence": value.confidence,
        "model": value.model,
        "published_at": value.published_at,
    }


def article(
    value: Article,
    *,
    tickers: Sequence[ArticleTicker],
    events: Sequence[Event],
    include_body: bool = True,
) -> Json:
    out: Json = {
        "id": value.id,
        "source": value.source,
        "external_id": value.external_id,
        "url": value.url,
        "title": value.title,
        "summary": value.summary,
    }
    if include_body:
        out["body"] = value.body
    out.update(
        {
            "authors": list(value.authors),
            "published_at": value.published_at,
            "language": value.language,
            "status": value.status,
            "ingested_at": value.ingested_at,
            "sentiment": sentiment(value.sentiment),
            "tickers": [article_ticker(t) for t in tickers],
            "events": [event(e) for e in events],
        }
    )
    return out


def articles(
    values: Sequence[Article],
    *,
    tickers: Mapping[int, Sequence[ArticleTicker]],
    events: Mapping[int, Sequence[Event]],
    include_body: bool = True,
) -> list[Json]:
    return [
        article(a, tickers=tickers.get(a.id, ()), events=events.get(a.id, ()), include_body=include_body)
        for a in values
    ]


def ticker(value: Ticker) -> Json:
    return {
        "symbol": value.symbol,
        "name": value.name,
        "exchange": value.exchange,
        "sector": value.sector,
        "industry": value.industry,
        "aliases": list(value.aliases),
    }


def series_point(value: SeriesPoint) -> Json:
    return {
        "bucket_start": value.start,
        "bucket_end": value.end,
        "article_count": value.article_count,
        # An empty bucket has no score and no label: null, never a fake neutral 0.
        "score": value.score,
        "label": label_of(value.score) if value.score is not None else None,
        "positive": value.positive,
        "negative": value.negative,
        "neutral": value.neutral,
    }


def sentiment_series(
    symbol: str, *, interval: str, start: datetime, end: datetime, points: Sequence[SeriesPoint]
) -> Json:
    return {
        "symbol": symbol,
        "interval": interval,
        "from": start,
        "to": end,
        "points": [series_point(p) for p in points],
    }


def sentiment_scale() -> Json:
    return {
        "min": -1.0,
        "max": 1.0,
        "bands": [
            {
                "label": b.label,
                "min": b.low,
                "max": b.high,
                "min_inclusive": b.low_inclusive,
                "max_inclusive": b.high_inclusive,
                "polarity": b.polarity,
            }
            for b in SCALE
        ],
    }


def next_url(request: Request, next_cursor: str | None) -> str | None:
    if next_cursor is None:
        return None
    return str(request.url.include_query_params(cursor=next_cursor))


def page(request: Request, value: Page[Any], data: list[Json]) -> tuple[Json, dict[str, str]]:
    """The list envelope and its ``Link`` header (RFC 8288) when there is a next page."""
    return envelope(request, value.next_cursor, data)


def envelope(
    request: Request, next_cursor: str | None, data: list[Json] | orjson.Fragment
) -> tuple[Json, dict[str, str]]:
    """``page`` for data given as items or as their rendered JSON array."""
    url = next_url(request, next_cursor)
    headers = {"Link": f'<{url}>; rel="next"'} if url else {}
    return {"data": data, "next": url, "next_cursor": next_cursor}, headers
