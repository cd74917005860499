"""Per-ticker sentiment series (hour and day buckets) for REST and GraphQL: the window and the points."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from core.errors import InvalidInput, NotFound
from core.records import SeriesInterval, SeriesPoint, normalize_symbol
from db import series as db_series
from db import tickers as db_tickers
from services.deps import Deps

# Enough for three months of hours or ten years of days, small enough for one response.
MAX_POINTS = 2200
# Without from/to: the last 30 days, or the last 48 hours, counting the bucket in progress.
DEFAULT_POINTS: dict[SeriesInterval, int] = {"day": 30, "hour": 48}
# Articles are dated 1970 or later; the upper bound keeps bucket arithmetic clear of datetime's year 9999.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SeriesWindow:
    """Buckets starting in [start, end): ``start`` is on a bucket boundary, ``end`` is as asked."""

    interval: SeriesInterval
    start: datetime
    end: datetime

    @property
    def points(self) -> int:
        step = db_series.STEP[self.interval]
        return -(-(self.end - self.start) // step)


def series_window(
    interval: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
) -> SeriesWindow:
    """Check a requested window and fill in what is missing; every refusal names the argument at fault."""
    if interval not in db_series.STEP:
        raise InvalidInput("interval must be 'hour' or 'day'", field="interval")
    kind: SeriesInterval = "hour" if interval == "hour" else "day"
    step = db_series.STEP[kind]
    for name, value in (("from", start), ("to", end)):
        if value is None:
            continue
        if value.tzinfo is None:
            raise InvalidInput(f"'{name}' needs a time zone offset, e.g. 2026-11-20T00:00:00Z", field=name)
        if not EARLIEST <= value <= LATEST:
            raise InvalidInput(
                f"'{name}' must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}",
                field=name,
                code="out_of_range",
            )
    if end is None:
        # The end of the bucket in progress, so the newest articles are in the last point.
        end = db_series.bucket_start(now or datetime.now(UTC), kind) + step
    if start is None:
        start = max(EARLIEST, end - DEFAULT_POINTS[kind] * step)
    if start >= end:
        raise InvalidInput("'from' must be before 'to'", field="from")
    window = SeriesWindow(interval=kind, start=db_series.bucket_start(start, kind), end=end.astimezone(UTC))
    if window.points > MAX_POINTS:
        raise InvalidInput(
            f"{window.points} points asked for, at most {MAX_POINTS} per series; narrow the range or use"
            " a coarser interval",
            field="to",
            code="out_of_range",
            details={"limit": MAX_POINTS},
        )
    return window


def _symbol(value: str) -> str:
    try:
        return normalize_symbol(value)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="symbol") from exc


async def get_sentiment_series(
    deps: Deps,
    *,
    symbol: str,
    interval: str,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[SeriesPoint]:
    """One point per UTC bucket starting in [start, end), empty buckets included with ``score=None``."""
    window = series_window(interval, start=start, end=end)
    symbol = _symbol(symbol)
    async with deps.connection() as conn:
        if not await db_tickers.get_tickers(conn, symbols=[symbol]):
            raise NotFound(f"ticker {symbol} is not in the reference table")
        return await db_series.list_series(
            conn, symbol=symbol, interval=window.interval, start=window.start, end=window.end
        )


async def list_sentiment_series(
    deps: Deps, *, symbols: Sequence[str], window: SeriesWindow
) -> dict[str, list[SeriesPoint]]:
    """Series of tickers already known to exist (nested GraphQL fields), one query for all of them."""
    async with deps.connection() as conn:
        return await db_series.list_series_of(
            conn, symbols=symbols, interval=window.interval, start=window.start, end=window.end
        )
