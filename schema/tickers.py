"""Tickers: the reference Ticker type, its articles connection, and the ticker queries."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from core import records
from core.scale import label_of
from schema._fields import field
from schema.articles import Article, article_connection, aware
from schema.loaders import Context
from schema.pagination import AFTER_DESCRIPTION, FIRST_DESCRIPTION, Connection, connection
from services import articles as article_service
from services import tickers as service
from services.series import MAX_POINTS, series_window


@strawberry.enum(description="Bucket size of a sentiment series; buckets are aligned to UTC.")
class SeriesInterval(Enum):
    HOUR = "hour"
    DAY = "day"


@strawberry.type(description="One bucket of a ticker's sentiment series, [bucketStart, bucketEnd) in UTC.")
class SeriesPoint:
    bucket_start: datetime
    bucket_end: datetime
    article_count: int = strawberry.field(description="Scored articles published in the bucket.")
    score: float | None = strawberry.field(
        description=(
            "Relevance-weighted mean of the newest model's ticker scores in [-1, 1]; "
            "null for an empty bucket, never 0."
        )
    )
    label: str | None = strawberry.field(description="`score` on `sentimentScale`; null when score is.")
    positive: int = strawberry.field(description="Ticker scores >= 0.15.")
    negative: int = strawberry.field(description="Ticker scores <= -0.15.")
    neutral: int = strawberry.field(description="Ticker scores between -0.15 and 0.15.")

    @classmethod
    def from_record(cls, p: records.SeriesPoint) -> SeriesPoint:
        return cls(
            bucket_start=p.start,
            bucket_end=p.end,
            article_count=p.article_count,
            score=p.score,
            label=label_of(p.score) if p.score is not None else None,
            positive=p.positive,
            negative=p.negative,
            neutral=p.neutral,
        )


SERIES_DESCRIPTION = (
    "Sentiment of this ticker in hour or day buckets whose start is in [from, to), empty buckets "
    "included. `from` is rounded down to its bucket. Without `from` and `to`: the last 30 days (DAY) "
    f"or 48 hours (HOUR), ending with the bucket in progress. At most {MAX_POINTS} points; each point "
    "counts toward the query cost. A bad window fails with extensions.code 'invalid_input' or "
    "'out_of_range' and extensions.field naming the argument."
)


@strawberry.type(description="A reference ticker with the names entity linking maps to it.")
class Ticker:
    symbol: str
    name: str
    exchange: str | None
    sector: str | None
    industry: str | None
    aliases: list[str]

    @field(description="Articles linked to this ticker, newest first.")
    async def articles(
        self,
        info: Info[Context, None],
        first: Annotated[int, strawberry.argument(description=FIRST_DESCRIPTION)] = 20,
        after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
        from_: Annotated[
            datetime | None, strawberry.argument(name="from", description="publishedAt >= from.")
        ] = None,
        to: Annotated[datetime | None, strawberry.argument(description="publishedAt < to.")] = None,
    ) -> Connection[Article]:
        # Batched: a page of tickers asking for their articles is one lateral-join statement, one keyset
        # range scan on article_tickers (symbol, published_at, article_id) per ticker.
        window = article_service.TickerArticlesWindow(
            first=first,
            after=after,
            published_from=aware(from_, field="from"),
            published_to=aware(to, field="to"),
        )
        page = await info.context.loaders.ticker_articles.load((self.symbol, window))
        return article_connection(page, after=after, info=info)

    @field(description=SERIES_DESCRIPTION)
    async def sentiment_series(
        self,
        info: Info[Context, None],
        interval: SeriesInterval = SeriesInterval.DAY,
        from_: Annotated[
            datetime | None, strawberry.argument(name="from", description="First bucket.")
        ] = None,
        to: Annotated[datetime | None, strawberry.argument(description="Buckets start before this.")] = None,
    ) -> list[SeriesPoint]:
        window = series_window(interval.value, start=from_, end=to)
        points = await info.context.loaders.sentiment_series.load((self.symbol, window))
        return [SeriesPoint.from_record(p) for p in points]

    @classmethod
    def from_record(cls, t: records.Ticker) -> Ticker:
        return cls(
            symbol=t.symbol,
            name=t.name,
            exchange=t.exchange,
            sector=t.sector,
            industry=t.industry,
            aliases=list(t.aliases),
        )


@strawberry.type
class TickerQuery:
    @field(
        description=(
            "One ticker by symbol (case-insensitive, optional leading $); unknown symbols fail with "
            "extensions.code 'not_found', malformed ones with 'invalid_input'."
        )
    )
    async def ticker(self, info: Info[Context, None], symbol: str) -> Ticker:
        return Ticker.from_record(await service.get_ticker(info.context.deps, symbol=symbol))

    @field(description="Reference tickers in symbol order, optionally matching a search text.")
    async def tickers(
        self,
        info: Info[Context, None],
        search: Annotated[
            str | None, strawberry.argument(description="Prefix of a symbol, name or alias.")
        ] = None,
        first: Annotated[int, strawberry.argument(description=FIRST_DESCRIPTION)] = 20,
        after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
    ) -> Connection[Ticker]:
        page = await service.list_tickers(info.context.deps, search=search, first=first, after=after)
        return connection(
            page.items,
            next_cursor=page.next_cursor,
            after=after,
            cursor_of=lambda t: service.ticker_cursor(t.symbol),
            node_of=Ticker.from_record,
        )
