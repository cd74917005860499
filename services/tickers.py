"""Ticker reads: one ticker, a search page, batched lookups for nested fields."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from core.errors import InvalidCursor, InvalidInput, NotFound
from core.records import Page, Ticker, normalize_symbol
from db import tickers as db_tickers
from services.articles import check_page_size
from services.deps import Deps


def _symbol(value: str) -> str:
    try:
        return normalize_symbol(value)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="symbol") from exc


async def get_ticker(deps: Deps, *, symbol: str) -> Ticker:
    symbol = _symbol(symbol)
    async with deps.connection() as conn:
        found = await db_tickers.get_tickers(conn, symbols=[symbol])
    if symbol not in found:
        raise NotFound(f"ticker {symbol} is not in the reference table")
    return found[symbol]


async def get_tickers(deps: Deps, *, symbols: Sequence[str]) -> dict[str, Ticker]:
    async with deps.connection() as conn:
        return await db_tickers.get_tickers(conn, symbols=symbols)


def _encode(symbol: str) -> str:
    return base64.urlsafe_b64encode(f"s1:{symbol}".encode()).decode().rstrip("=")


def ticker_cursor(symbol: str) -> str:
    """The cursor of one ticker in a page, for per-edge cursors of a connection."""
    return _encode(symbol)


def _decode(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode("ascii")).decode()
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise InvalidCursor("cursor is not one this API issued", field="after") from exc
    if not raw.startswith("s1:"):
        raise InvalidCursor("cursor is not one this API issued", field="after")
    return raw[3:]


async def list_tickers(
    deps: Deps, *, search: str | None = None, first: int = 20, after: str | None = None
) -> Page[Ticker]:
    check_page_size(first)
    if search is not None and len(search) > 100:
        raise InvalidInput("search text is limited to 100 characters", field="search")
    after_symbol = _decode(after) if after else None
    async with deps.connection() as conn:
        rows = await db_tickers.list_tickers(
            conn, search=search or None, after_symbol=after_symbol, limit=first + 1
        )
    items = rows[:first]
    return Page(items=items, next_cursor=_encode(items[-1].symbol) if len(rows) > first else None)
