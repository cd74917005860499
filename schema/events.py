"""Market events: the Event type (typed attributes as JSON), its filter and the events query."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from core import records
from core.records import EVENT_TYPES
from schema._fields import field
from schema.articles import Article, Highlight, aware, symbols
from schema.loaders import Context
from schema.pagination import AFTER_DESCRIPTION, FIRST_DESCRIPTION, Connection, connection, parse_id
from services import events as service
from services.cursors import encode_cursor

_TYPES = ", ".join(EVENT_TYPES)


@strawberry.type(description="A typed market event extracted from an article by one model version.")
class Event:
    id: strawberry.ID
    type: str = strawberry.field(description=f"One of: {_TYPES}.")
    symbol: str | None = strawberry.field(description="The ticker the event is about, when linked.")
    entity: str | None = strawberry.field(description="The counterparty or entity named, e.g. a target.")
    attributes: JSON = strawberry.field(description="Type-specific fields, e.g. amount, currency, actual.")
    evidence: Highlight | None
    confidence: float
    model: str
    published_at: datetime
    article_id: strawberry.Private[int]

    @field(description="The article the event was extracted from.")
    async def article(self, info: Info[Context, None]) -> Article | None:
        found = await info.context.loaders.article.load(self.article_id)
        return Article.from_record(found) if found is not None else None

    @classmethod
    def from_record(cls, e: records.Event) -> Event:
        return cls(
            id=strawberry.ID(str(e.id)),
            type=e.type,
            symbol=e.symbol,
            entity=e.entity,
            attributes=cast(JSON, e.attributes),
            evidence=Highlight.from_record(e.evidence) if e.evidence is not None else None,
            confidence=e.confidence,
            model=e.model,
            published_at=e.published_at,
            article_id=e.article_id,
        )


@strawberry.input(description="Every given condition must hold; lists are any-of.")
class EventFilter:
    types: list[str] | None = strawberry.field(default=None, description=f"Any of: {_TYPES}.")
    tickers: list[str] | None = None
    from_: datetime | None = strawberry.field(default=None, name="from", description="publishedAt >= from.")
    to: datetime | None = strawberry.field(default=None, description="publishedAt < to.")
    article_id: strawberry.ID | None = None


def to_record_filter(f: EventFilter | None) -> records.EventFilter:
    if f is None:
        return records.EventFilter()
    return records.EventFilter(
        types=tuple(f.types or ()),
        tickers=symbols(f.tickers, field="filter.tickers"),
        published_from=aware(f.from_, field="filter.from"),
        published_to=aware(f.to, field="filter.to"),
        article_id=parse_id(f.article_id, field="filter.articleId") if f.article_id is not None else None,
    )


@strawberry.type
class EventQuery:
    @field(description="Events of the newest model version, newest first, keyset-paginated.")
    async def events(
        self,
        info: Info[Context, None],
        filter: EventFilter | None = None,
        first: Annotated[int, strawberry.argument(description=FIRST_DESCRIPTION)] = 20,
        after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
    ) -> Connection[Event]:
        page = await service.list_events(
            info.context.deps, filter=to_record_filter(filter), first=first, after=after
        )
        return connection(
            page.items,
            next_cursor=page.next_cursor,
            after=after,
            cursor_of=lambda e: encode_cursor(e.published_at, e.id),
            node_of=Event.from_record,
        )
