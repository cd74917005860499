"""REST for typed market events across articles, newest first."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from api import representations as rep
from api._params import QueryParams, rest_field_names
from api._responses import JSONResponse
from api._state import deps_of
from core.errors import InvalidInput
from core.records import EVENT_TYPES, EventFilter
from services.articles import MAX_PAGE
from services.events import list_events

REST_NAMES = {"after": "cursor", "first": "limit"}


async def list_events_endpoint(request: Request) -> Response:
    q = QueryParams(
        request, ("type", "tickers", "from", "to", "limit", "cursor"), repeatable=("type", "tickers")
    )
    filter = EventFilter(
        types=q.choices("type", EVENT_TYPES),
        tickers=q.symbols("tickers"),
        published_from=q.timestamp("from"),
        published_to=q.timestamp("to"),
    )
    limit = q.integer("limit", default=20, low=1, high=MAX_PAGE)
    if (
        filter.published_from is not None
        and filter.published_to is not None
        and filter.published_from > filter.published_to
    ):
        # services.articles checks this for articles; events have no filter check of their own yet.
        raise InvalidInput("'from' must not be after 'to'", field="from")
    with rest_field_names(REST_NAMES):
        page = await list_events(deps_of(request), filter=filter, first=limit, after=q.string("cursor"))
    body, headers = rep.page(request, page, [rep.event(e) for e in page.items])
    return JSONResponse(body, headers=headers)


def routes() -> list[BaseRoute]:
    return [Route("/v1/events", list_events_endpoint, methods=["GET"], name="listEvents")]
