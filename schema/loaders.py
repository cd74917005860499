"""Per-request context and DataLoaders: every nested field is one batched service call per tick."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader

from core.records import Article, ArticleTicker, Event, Page, SeriesPoint, Ticker
from services import articles, series, tickers
from services.articles import TickerArticlesWindow
from services.deps import Deps
from services.series import SeriesWindow

W = TypeVar("W", bound=Hashable)
V = TypeVar("V")


@dataclass(slots=True)
class Loaders:
    article: DataLoader[int, Article | None]
    article_tickers: DataLoader[int, list[ArticleTicker]]
    article_events: DataLoader[int, list[Event]]
    ticker: DataLoader[str, Ticker | None]
    sentiment_series: DataLoader[tuple[str, SeriesWindow], list[SeriesPoint]]
    ticker_articles: DataLoader[tuple[str, TickerArticlesWindow], Page[Article]]


@dataclass(slots=True)
class Context:
    deps: Deps
    loaders: Loaders
    request: Request | WebSocket | None = None
    response: Response | WebSocket | None = None


async def _per_window(
    keys: Sequence[tuple[str, W]], fetch: Callable[[list[str], W], Awaitable[dict[str, V]]]
) -> list[V]:
    """One fetch per distinct window (a field's arguments): a page of tickers asking for the same window,
    the usual case, is one statement."""
    by_window: dict[W, list[str]] = {}
    for symbol, window in keys:
        by_window.setdefault(window, []).append(symbol)
    found: dict[tuple[str, W], V] = {}
    for window, symbols in by_window.items():
        values = await fetch(symbols, window)
        found.update(((symbol, window), values[symbol]) for symbol in symbols)
    return [found[key] for key in keys]


def make_loaders(deps: Deps, *, cache: bool = True) -> Loaders:
    """Fresh loaders; ``cache=False`` still batches but never serves a value loaded earlier.

    The view passes ``cache=False`` on WebSockets, where one context lives as long as the connection.
    """

    async def load_articles(ids: Sequence[int]) -> list[Article | None]:
        found = await articles.get_articles(deps, article_ids=ids)
        return [found.get(i) for i in ids]

    async def load_article_tickers(ids: Sequence[int]) -> list[list[ArticleTicker]]:
        found = await articles.list_article_tickers(deps, article_ids=ids)
        return [found.get(i, []) for i in ids]

    async def load_article_events(ids: Sequence[int]) -> list[list[Event]]:
        found = await articles.list_article_events(deps, article_ids=ids)
        return [found.get(i, []) for i in ids]

    async def load_tickers(symbols: Sequence[str]) -> list[Ticker | None]:
        found = await tickers.get_tickers(deps, symbols=symbols)
        return [found.get(s) for s in symbols]

    async def load_sentiment_series(keys: Sequence[tuple[str, SeriesWindow]]) -> list[list[SeriesPoint]]:
        async def fetch(symbols: list[str], window: SeriesWindow) -> dict[str, list[SeriesPoint]]:
            return await series.list_sentiment_series(deps, symbols=symbols, window=window)

        return await _per_window(keys, fetch)

    async def load_ticker_articles(keys: Sequence[tuple[str, TickerArticlesWindow]]) -> list[Page[Article]]:
        async def fetch(symbols: list[str], window: TickerArticlesWindow) -> dict[str, Page[Article]]:
            return await articles.list_articles_per_ticker(deps, symbols=symbols, window=window)

        return await _per_window(keys, fetch)

    return Loaders(
        article=DataLoader(load_fn=load_articles, cache=cache),
        article_tickers=DataLoader(load_fn=load_article_tickers, cache=cache),
        article_events=DataLoader(load_fn=load_article_events, cache=cache),
        ticker=DataLoader(load_fn=load_tickers, cache=cache),
        sentiment_series=DataLoader(load_fn=load_sentiment_series, cache=cache),
        ticker_articles=DataLoader(load_fn=load_ticker_articles, cache=cache),
    )


def make_context(
    deps: Deps,
    *,
    request: Request | WebSocket | None = None,
    response: Response | WebSocket | None = None,
    cache: bool = True,
) -> Context:
    return Context(deps=deps, loaders=make_loaders(deps, cache=cache), request=request, response=response)
