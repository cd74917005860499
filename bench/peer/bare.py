"""The ceilings: a bare Starlette endpoint returning a fixed 2 KB JSON body, served like our app, and
the same endpoint after one Redis round trip (the script a cache hit runs, over the pipelined client):
what any hit that must ask Redis can reach on this machine."""

from __future__ import annotations

import os

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cache.pipelined import Script, connect_url
from cache.responses import CHARGE_AND_LOOKUP

BODY = orjson.dumps({"data": [{"id": str(i), "title": "x" * 80} for i in range(20)]})[:2048]
_KEYS = ["tt-bench:rl:ceiling", "tt-bench:gen:ceiling"]
_ARGS: list[float | str] = [60.0, 1_000_000_000, 1, 0, "tt-bench:resp:ceiling:", ""]
_script: list[Script] = []


async def fixed(request: Request) -> Response:
    return Response(BODY, media_type="application/json")


async def fixed_after_redis(request: Request) -> Response:
    if not _script:
        client = connect_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
        assert client is not None, "REDIS_URL must be redis:// or unix://"
        _script.append(client.register_script(CHARGE_AND_LOOKUP))
    await _script[0](keys=_KEYS, args=_ARGS)
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route("/", fixed, methods=["GET", "POST"])])
redis_app = Starlette(routes=[Route("/", fixed_after_redis, methods=["GET", "POST"])])
