"""Articles: the Article type with its batched tickers and events, filters, and the article queries."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from core import records
from core.errors import InvalidInput
from core.records import EVENT_TYPES, normalize_symbol
from schema._fields import field
from schema.loaders import Context
from schema.pagination import AFTER_DESCRIPTION, FIRST_DESCRIPTION, Connection, connection, parse_id
from schema.scale import Sentiment, TickerSentiment
from services import articles as service
from services.cursors import encode_cursor
from services.events import check_event_types

if TYPE_CHECKING:
    from schema.events import Event
    from schema.tickers import Ticker


@strawberry.enum(description="Scoring state: PENDING until the worker has scored the article.")
class ArticleStatus(Enum):
    PENDING = "pending"
    SCORED = "scored"
    FAILED = "failed"


@strawberry.enum(description="Keyset order on (publishedAt, id).")
class ArticleOrder(Enum):
    PUBLISHED_DESC = "published_desc"
    PUBLISHED_ASC = "published_asc"


_ORDER: dict[ArticleOrder, records.Order] = {
    ArticleOrder.PUBLISHED_DESC: "published_desc",
    ArticleOrder.PUBLISHED_ASC: "published_asc",
}
_STATUS: dict[ArticleStatus, records.ArticleStatus] = {
    ArticleStatus.PENDING: "pending",
    ArticleStatus.SCORED: "scored",
    ArticleStatus.FAILED: "failed",
}


@strawberry.type(
    description="A span of the article that supports a score or an event; offsets in characters."
)
class Highlight:
    text: str
    section: str
    start: int
    end: int
    score: float

    @classmethod
    def from_record(cls, h: records.Highlight) -> Highlight:
        return cls(text=h.text, section=h.section, start=h.start, end=h.end, score=h.score)


@strawberry.type(description="A ticker linked to an article, given at ingest (explicit) or found by scoring.")
class ArticleTicker:
    symbol: str
    name: str
    explicit: bool
    relevance: float | None = strawberry.field(description="In [0, 1]; null until scored.")
    sentiment: TickerSentiment | None = strawberry.field(description="Null until scored.")
    highlights: list[Highlight]

    @field(description="The reference ticker.")
    async def ticker(
        self, info: Info[Context, None]
    ) -> Annotated[Ticker, strawberry.lazy("schema.tickers")] | None:
        from schema.tickers import Ticker  # tickers.py imports this module

        found = await info.context.loaders.ticker.load(self.symbol)
        return Ticker.from_record(found) if found is not None else None

    @classmethod
    def from_record(cls, t: records.ArticleTicker) -> ArticleTicker:
        sentiment = None
        if t.score is not None and t.label is not None and t.confidence is not None and t.model is not None:
            sentiment = TickerSentiment(score=t.score, label=t.label, confidence=t.confidence, model=t.model)
        return cls(
            symbol=t.symbol,
            name=t.name,
            explicit=t.explicit,
            relevance=t.relevance,
            sentiment=sentiment,
            highlights=[Highlight.from_record(h) for h in t.highlights],
        )


@strawberry.type(description="A news article as ingested, with its scores once the worker has scored it.")
class Article:
    id: strawberry.ID
    source: str
    external_id: str | None
    url: str | None
    title: str
    summary: str | None
    body: str
    authors: list[str]
    published_at: datetime
    language: str
    status: ArticleStatus
    sentiment: Sentiment | None = strawberry.field(description="Overall sentiment; null while PENDING.")
    pk: strawberry.Private[int]

    @field(description="Linked tickers, most relevant first.")
    async def tickers(self, info: Info[Context, None]) -> list[ArticleTicker]:
        rows = await info.context.loaders.article_tickers.load(self.pk)
        return [ArticleTicker.from_record(r) for r in rows]

    @field(description="Market events extracted by the newest model; empty while PENDING.")
    async def events(
        self, info: Info[Context, None]
    ) -> list[Annotated[Event, strawberry.lazy("schema.events")]]:
        from schema.events import Event  # events.py imports this module

        rows = await info.context.loaders.article_events.load(self.pk)
        return [Event.from_record(r) for r in rows]

    @classmethod
    def from_record(cls, a: records.Article) -> Article:
        return cls(
            id=strawberry.ID(str(a.id)),
            source=a.source,
            external_id=a.external_id,
            url=a.url,
            title=a.title,
            summary=a.summary,
            body=a.body,
            authors=list(a.authors),
            published_at=a.published_at,
            language=a.language,
            status=ArticleStatus(a.status),
            sentiment=Sentiment.from_record(a.sentiment),
            pk=a.id,
        )


ArticleConnection = Connection[Article]


@strawberry.input(
    description="Every given condition must hold (AND); list conditions are any-of unless named 'all'."
)
class ArticleFilter:
    tickers_any: list[str] | None = strawberry.field(default=None, description="Linked to any of these.")
    tickers_all: list[str] | None = strawberry.field(default=None, description="Linked to all of these.")
    from_: datetime | None = strawberry.field(
        default=None, name="from", description="publishedAt >= from (with a time zone)."
    )
    to: datetime | None = strawberry.field(default=None, description="publishedAt < to.")
    score_min: float | None = strawberry.field(default=None, description="Overall score >= scoreMin.")
    score_max: float | None = strawberry.field(default=None, description="Overall score <= scoreMax.")
    labels: list[str] | None = strawberry.field(default=None, description="Labels of `sentimentScale`.")
    event_types: list[str] | None = strawberry.field(
        default=None, description=f"Has an event of one of these types: {', '.join(EVENT_TYPES)}."
    )
    sources: list[str] | None = None
    search: str | None = strawberry.field(
        default=None, description="Full-text search on title and body (web search syntax)."
    )
    status: ArticleStatus | None = None


def symbols(values: list[str] | None, *, field: str) -> tuple[str, ...]:
    try:
        return tuple(dict.fromkeys(normalize_symbol(v) for v in values or ()))
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from exc


def aware(value: datetime | None, *, field: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise InvalidInput(f"{field} needs a time zone offset, e.g. 2026-01-31T00:00:00Z", field=field)
    return value


def record_order(order: ArticleOrder) -> records.Order:
    return _ORDER[order]


def to_record_filter(f: ArticleFilter | None) -> records.ArticleFilter:
    if f is None:
        return records.ArticleFilter()
    event_types = tuple(f.event_types or ())
    check_event_types(event_types)
    return records.ArticleFilter(
        tickers_any=symbols(f.tickers_any, field="filter.tickersAny"),
        tickers_all=symbols(f.tickers_all, field="filter.tickersAll"),
        published_from=aware(f.from_, field="filter.from"),
        published_to=aware(f.to, field="filter.to"),
        score_min=f.score_min,
        score_max=f.score_max,
        labels=tuple(f.labels or ()),
        event_types=event_types,
        sources=tuple(f.sources or ()),
        search=f.search,
        status=_STATUS[f.status] if f.status is not None else None,
    )


def article_connection(
    page: records.Page[records.Article], *, after: str | None, info: Info[Context, None]
) -> Connection[Article]:
    # Nested Event.article fields then resolve from the loader's cache, without SQL.
    info.context.loaders.article.prime_many({a.id: a for a in page.items})
    return connection(
        page.items,
        next_cursor=page.next_cursor,
        after=after,
        cursor_of=lambda a: encode_cursor(a.published_at, a.id),
        node_of=Article.from_record,
    )


@strawberry.type
class ArticleQuery:
    @field(description="One article; an unknown id fails with extensions.code 'not_found'.")
    async def article(self, info: Info[Context, None], id: strawberry.ID) -> Article:
        found = await service.get_article(info.context.deps, article_id=parse_id(id, field="id"))
        info.context.loaders.article.prime(found.id, found)
        return Article.from_record(found)

    @field(description="Articles matching the filter, keyset-paginated.")
    async def articles(
        self,
        info: Info[Context, None],
        filter: ArticleFilter | None = None,
        order_by: ArticleOrder = ArticleOrder.PUBLISHED_DESC,
        first: Annotated[int, strawberry.argument(description=FIRST_DESCRIPTION)] = 20,
        after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
    ) -> Connection[Article]:
        page = await service.list_articles(
            info.context.deps,
            filter=to_record_filter(filter),
            order=record_order(order_by),
            first=first,
            after=after,
        )
        return article_connection(page, after=after, info=info)
