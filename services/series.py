"""Per-ticker sentiment series (hour and day buckets) for REST and GraphQL."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from core.errors import InvalidInput, NotFound
from core.records import SeriesPoint
from db import series as db_series
from db import tickers as db_tickers
from services.deps import Deps

# Enough for three months of hours or ten years of days, small enough for one response.
MAX_POINTS = 2200


async def get_sentiment_series(
    deps: Deps, *, symbol: str, interval: Literal["hour", "day"], start: datetime, end: datetime
) -> list[SeriesPoint]:
    """One point per UTC bucket starting in [start, end), empty buckets included with ``score=None``."""
    if interval not in db_series.STEP:
        raise InvalidInput("interval must be 'hour' or 'day'", field="interval")
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("'from' and 'to' need a time zone", field="from")
    if start >= end:
        raise InvalidInput("'from' must be before 'to'", field="from")
    points = (end - db_series.bucket_start(start, interval)) / db_series.STEP[interval]
    if points > MAX_POINTS:
        raise InvalidInput(
            f"at most {MAX_POINTS} points per request; narrow the range or use a coarser interval",
            field="to",
            code="out_of_range",
        )
    async with deps.connection() as conn:
        if not await db_tickers.get_tickers(conn, symbols=[symbol]):
            raise NotFound(f"ticker {symbol} does not exist")
        return await db_series.list_series(conn, symbol=symbol, interval=interval, start=start, end=end)
