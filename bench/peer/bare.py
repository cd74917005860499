"""The ceiling: a bare Starlette endpoint returning a fixed 2 KB JSON body, served like our app."""

from __future__ import annotations

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = orjson.dumps({"data": [{"id": str(i), "title": "x" * 80} for i in range(20)]})[:2048]


async def fixed(request: Request) -> Response:
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route("/", fixed, methods=["GET", "POST"])])
