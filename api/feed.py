"""``GET /v1/news-sentiment``: Alpha Vantage's NEWS_SENTIMENT, answered in its own format.

A client written for Alpha Vantage switches by changing the base URL to ``/v1/news-sentiment`` and
moving ``apikey`` into an ``X-API-Key`` header; ``function=NEWS_SENTIMENT`` is accepted and ignored.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from api._params import QueryParams
from api._responses import JSONResponse
from api._state import deps_of
from core.errors import InvalidInput
from services.feed import DEFAULT_LIMIT, MAX_LIMIT, FeedQuery, Sort, TickersMode, news_sentiment

PARAMS = (
    "function",
    "tickers",
    "topics",
    "time_from",
    "time_to",
    "sort",
    "limit",
    "tickers_mode",
    "numeric",
    "cursor",
)
SORTS: tuple[Sort, ...] = ("LATEST", "EARLIEST", "RELEVANCE")
MODES: tuple[TickersMode, ...] = ("all", "any")
_AV_TIME = re.compile(r"^(\d{8})T(\d{4})(\d{2})?$")


def av_timestamp(q: QueryParams, name: str) -> datetime | None:
    """Alpha Vantage's ``YYYYMMDDTHHMM`` (seconds optional), read as UTC."""
    value = q.string(name)
    if value is None:
        return None
    match = _AV_TIME.match(value.strip())
    try:
        if match is None:
            raise ValueError(value)
        return datetime.strptime(
            match.group(1) + match.group(2) + (match.group(3) or "00"), "%Y%m%d%H%M%S"
        ).replace(tzinfo=UTC)
    except ValueError as exc:
        raise InvalidInput(
            f"{name}: must be YYYYMMDDTHHMM (UTC), e.g. 20260401T0130", field=name, code="invalid_parameter"
        ) from exc


async def news_sentiment_endpoint(request: Request) -> Response:
    q = QueryParams(request, PARAMS)
    function = q.string("function")
    if function is not None and function != "NEWS_SENTIMENT":
        raise InvalidInput("function: only NEWS_SENTIMENT is served here", field="function")
    query = FeedQuery(
        tickers=q.symbols("tickers"),
        topics=q.strings("topics"),
        time_from=av_timestamp(q, "time_from"),
        time_to=av_timestamp(q, "time_to"),
        sort=q.choice("sort", SORTS) or "LATEST",
        limit=q.integer("limit", default=DEFAULT_LIMIT, low=1, high=MAX_LIMIT),
        tickers_mode=q.choice("tickers_mode", MODES) or "all",
        numeric=q.boolean("numeric", default=False),
        cursor=q.string("cursor", max_length=200),
    )
    body = await news_sentiment(deps_of(request), query=query)
    return JSONResponse(body)


def routes() -> list[BaseRoute]:
    return [Route("/v1/news-sentiment", news_sentiment_endpoint, methods=["GET"], name="getNewsSentiment")]
