"""Tickers: the reference Ticker type, its articles connection, and the ticker queries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from core import records
from schema._fields import field
from schema.articles import Article, article_connection, aware
from schema.loaders import Context
from schema.pagination import AFTER_DESCRIPTION, FIRST_DESCRIPTION, Connection, connection
from services import articles as article_service
from services import tickers as service


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
        # One keyset range scan on article_tickers (symbol, published_at, article_id) per ticker.
        page = await article_service.list_articles(
            info.context.deps,
            filter=records.ArticleFilter(
                tickers_any=(self.symbol,),
                published_from=aware(from_, field="from"),
                published_to=aware(to, field="to"),
            ),
            first=first,
            after=after,
        )
        return article_connection(page, after=after, info=info)

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
