"""Article reads: one article, keyset pages with filters, the batched nested parts of a page, and reads
rendered as JSON in SQL (GraphQL projections, REST representations)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from core.errors import InvalidInput, NotFound
from core.projections import ArticlePageLookup, Lookup
from core.records import Article, ArticleFilter, ArticleTicker, Event, Order, Page
from core.scale import LABELS
from db import article_representations as db_article_representations
from db import article_tickers as db_article_tickers
from db import articles as db_articles
from db import articles_json as db_articles_json
from db import events as db_events
from services.cursors import decode_cursor, encode_cursor
from services.deps import Deps

MAX_PAGE = 100


def check_page_size(first: int, *, name: str = "first") -> None:
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"{name} must be between 1 and {MAX_PAGE}", field=name, code="out_of_range")


def check_filter(filter: ArticleFilter) -> None:
    unknown = [label for label in filter.labels if label not in LABELS]
    if unknown:
        raise InvalidInput(f"unknown sentiment label(s): {', '.join(unknown)}", field="label")
    for name, value in (("scoreMin", filter.score_min), ("scoreMax", filter.score_max)):
        if value is not None and not -1.0 <= value <= 1.0:
            raise InvalidInput(f"{name} must be within [-1, 1]", field=name, code="out_of_range")
    if (
        filter.published_from is not None
        and filter.published_to is not None
        and filter.published_from > filter.published_to
    ):
        raise InvalidInput("'from' must not be after 'to'", field="from")
    if filter.search is not None and len(filter.search) > 500:
        raise InvalidInput("search text is limited to 500 characters", field="search")
    if len(filter.tickers_any) + len(filter.tickers_all) > 50:
        raise InvalidInput("at most 50 tickers per filter", field="tickers")


def _checked_page(filter: ArticleFilter, *, first: int, after: str | None) -> tuple[datetime, int] | None:
    """The keyset position of a page request, after the checks every page read makes, in their order."""
    check_page_size(first)
    check_filter(filter)
    return decode_cursor(after) if after else None


async def get_article(deps: Deps, *, article_id: int) -> Article:
    async with deps.connection() as conn:
        article = await db_articles.get_article(conn, article_id=article_id)
    if article is None:
        raise NotFound(f"article {article_id} does not exist")
    return article


async def get_articles(deps: Deps, *, article_ids: Sequence[int]) -> dict[int, Article]:
    async with deps.connection() as conn:
        return await db_articles.get_articles(conn, article_ids=article_ids)


async def list_articles(
    deps: Deps,
    *,
    filter: ArticleFilter,
    order: Order = "published_desc",
    first: int = 20,
    after: str | None = None,
) -> Page[Article]:
    key = _checked_page(filter, first=first, after=after)
    async with deps.connection() as conn:
        rows = await db_articles.list_articles(conn, filter=filter, order=order, limit=first + 1, after=key)
    items = rows[:first]
    next_cursor = encode_cursor(items[-1].published_at, items[-1].id) if len(rows) > first and items else None
    return Page(items=items, next_cursor=next_cursor)


@dataclass(frozen=True, slots=True)
class TickerArticlesWindow:
    """What a page of one ticker's articles asks for; tickers asking the same share one statement."""

    first: int = 20
    after: str | None = None
    published_from: datetime | None = None
    published_to: datetime | None = None

    def __post_init__(self) -> None:
        # Checked when built, in the resolver: a bad argument must fail its own field, not the whole batch.
        check_page_size(self.first)
        if self.after:
            decode_cursor(self.after)
        check_filter(ArticleFilter(published_from=self.published_from, published_to=self.published_to))


async def list_articles_per_ticker(
    deps: Deps, *, symbols: Sequence[str], window: TickerArticlesWindow
) -> dict[str, Page[Article]]:
    """Each ticker's newest articles in the window, as keyset pages, in one SQL statement."""
    key = decode_cursor(window.after) if window.after else None
    async with deps.connection() as conn:
        rows = await db_articles.list_articles_per_ticker(
            conn,
            symbols=symbols,
            limit=window.first + 1,
            after=key,
            published_from=window.published_from,
            published_to=window.published_to,
        )
    pages: dict[str, Page[Article]] = {}
    for symbol, found in rows.items():
        items = found[: window.first]
        more = len(found) > window.first and items
        next_cursor = encode_cursor(items[-1].published_at, items[-1].id) if more else None
        pages[symbol] = Page(items=items, next_cursor=next_cursor)
    return pages


async def list_article_tickers(deps: Deps, *, article_ids: Sequence[int]) -> dict[int, list[ArticleTicker]]:
    async with deps.connection() as conn:
        return await db_article_tickers.list_article_tickers(conn, article_ids=article_ids)


async def list_article_events(deps: Deps, *, article_ids: Sequence[int]) -> dict[int, list[Event]]:
    async with deps.connection() as conn:
        return await db_events.list_events_for_articles(conn, article_ids=article_ids)


async def get_data_json(deps: Deps, *, lookups: Sequence[Lookup]) -> str | None:
    """The ``data`` object of projected article reads as JSON text, built in one SQL statement.

    The arguments are checked as ``list_articles`` checks them (raising the same errors); None means
    the answer holds something only the field-by-field path can explain (a missing article, a bad row).
    """
    checked: list[Lookup] = []
    for lookup in lookups:
        if isinstance(lookup, ArticlePageLookup):
            key = _checked_page(lookup.filter, first=lookup.first, after=lookup.after)
            lookup = replace(lookup, after_key=key)
        checked.append(lookup)
    async with deps.connection() as conn:
        return await db_articles_json.fetch_data_json(conn, lookups=checked)


# --------------------------------------------------------------------- REST representations, rendered in SQL


@dataclass(frozen=True, slots=True)
class ArticlesJsonPage:
    """A page of articles in their REST representation: ``data`` is the JSON text of the array."""

    data: str
    next_cursor: str | None


async def list_articles_json(
    deps: Deps,
    *,
    filter: ArticleFilter,
    order: Order = "published_desc",
    first: int = 20,
    after: str | None = None,
    include_body: bool = False,
) -> ArticlesJsonPage | None:
    """The page ``list_articles`` reads, rendered as REST's articles in one SQL statement.

    The arguments are checked as ``list_articles`` checks them (raising the same errors); None means only
    the Python rendering can answer (``api.representations``), which then reads the page again.
    """
    key = _checked_page(filter, first=first, after=after)
    async with deps.connection() as conn:
        found = await db_article_representations.list_articles_json(
            conn, filter=filter, order=order, limit=first, after=key, include_body=include_body
        )
    if found is None:
        return None
    next_cursor = encode_cursor(*found.last) if found.last is not None else None
    return ArticlesJsonPage(data=found.data, next_cursor=next_cursor)


async def get_article_json(deps: Deps, *, article_id: int) -> str | None:
    """One article (with its body) rendered as REST's article in one SQL statement; None when it does not
    exist or only the Python rendering can answer: ``get_article`` then says which."""
    async with deps.connection() as conn:
        return await db_article_representations.get_article_json(conn, article_id=article_id)
