"""REST for published reference data: the sentiment scale every score is read against."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from api import representations as rep
from api._params import QueryParams
from api._responses import JSONResponse


async def sentiment_scale(request: Request) -> Response:
    QueryParams(request, ())
    return JSONResponse(rep.sentiment_scale())


def routes() -> list[BaseRoute]:
    return [Route("/v1/meta/sentiment-scale", sentiment_scale, methods=["GET"], name="getSentimentScale")]
