"""REST for reference tickers: prefix search over symbol, name and aliases; one ticker by symbol."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from api import representations as rep
from api._params import QueryParams, rest_field_names
from api._responses import JSONResponse
from api._state import deps_of
from services.articles import MAX_PAGE
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


def routes() -> list[BaseRoute]:
    return [
        Route("/v1/tickers", list_tickers_endpoint, methods=["GET"], name="listTickers"),
        Route("/v1/tickers/{symbol}", get_ticker_endpoint, methods=["GET"], name="getTicker"),
    ]
