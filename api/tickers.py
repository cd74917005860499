"""REST for reference tickers: prefix search over symbol, name and aliases; one ticker by symbol; its
sentiment series."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from api import representations as rep
from api._params import QueryParams, rest_field_names
from api._responses import JSONResponse
from api._state import deps_of
from core.records import normalize_symbol
from services.articles import MAX_PAGE
from services.series import get_sentiment_series, series_window
from services.tickers import get_ticker, list_tickers

REST_NAMES = {"after": "cursor", "first": "limit"}


async def list_tickers_endpoint(request: Request) -> Response:
    q = QueryParams(request, ("search", "limit", "cursor"))
    search = q.string("search", max_length=100)
    limit = q.integer("limit", default=20, low=1, high=MAX_PAGE)
    with rest_field_names(REST_NAMES):
        page = await list_tickers(deps_of(request), search=search, first=limit, after=q.string("cursor"))
    body, headers = rep.page(request, page, [rep.ticker(t) for t in page.items])
    return JSONResponse(body, headers=headers)


async def get_ticker_endpoint(request: Request) -> Response:
    QueryParams(request, ())
    found = await get_ticker(deps_of(request), symbol=request.path_params["symbol"])
    return JSONResponse(rep.ticker(found))


async def get_ticker_sentiment_endpoint(request: Request) -> Response:
    q = QueryParams(request, ("interval", "from", "to"))
    window = series_window(
        q.choice("interval", ("hour", "day")) or "day", start=q.timestamp("from"), end=q.timestamp("to")
    )
    symbol = request.path_params["symbol"]
    points = await get_sentiment_series(
        deps_of(request), symbol=symbol, interval=window.interval, start=window.start, end=window.end
    )
    body = rep.sentiment_series(
        symbol=normalize_symbol(symbol),
        interval=window.interval,
        start=window.start,
        end=window.end,
        points=points,
    )
    return JSONResponse(body)


def routes() -> list[BaseRoute]:
    return [
        Route("/v1/tickers", list_tickers_endpoint, methods=["GET"], name="listTickers"),
        Route("/v1/tickers/{symbol}", get_ticker_endpoint, methods=["GET"], name="getTicker"),
        Route(
            "/v1/tickers/{symbol}/sentiment",
            get_ticker_sentiment_endpoint,
            methods=["GET"],
            name="getTickerSentiment",
        ),
    ]
