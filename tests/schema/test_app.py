"""Schema assembly: the committed SDL matches the code; production hides introspection, suggestions and
the IDE; the view works mounted in the full application."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

from api.app import create_app
from core.settings import Settings
from schema.__main__ import DEFAULT_PATH, sdl
from schema.app import build_schema
from schema.view import graphql_routes
from services.deps import Deps

PRODUCTION = Settings.model_validate({"TICKERTONE_ENV": "production"})


def test_committed_sdl_matches_the_code() -> None:
    assert DEFAULT_PATH.read_text(encoding="utf-8") == sdl(), "run `python -m schema export` and commit"


async def test_production_hides_introspection_and_suggestions() -> None:
    schema = build_schema(PRODUCTION)
    result = await schema.execute("{ __schema { types { name } } }")
    assert result.errors and result.data is None
    result = await schema.execute("{ sentimentScal { label } }")
    assert result.errors
    assert "Did you mean" not in result.errors[0].message
    assert result.errors[0].extensions == {"code": "invalid_query"}


async def test_development_keeps_introspection(settings: Settings) -> None:
    assert settings.development
    result = await build_schema(settings).execute('{ __type(name: "Article") { fields { name } } }')
    assert result.errors is None and result.data is not None
    assert "sentiment" in {f["name"] for f in result.data["__type"]["fields"]}


@contextlib.asynccontextmanager
async def _client(settings: Settings, state: dict[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=graphql_routes(settings))

    async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
        scope["state"] = dict(state)
        await app(scope, receive, send)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=with_state), base_url="http://t") as c:
        yield c


@pytest.mark.parametrize(("settings_", "status"), [(PRODUCTION, 404), (None, 200)], ids=["production", "dev"])
async def test_graphiql_only_in_development(
    settings: Settings, settings_: Settings | None, status: int
) -> None:
    async with _client(settings_ or settings, {"deps": None}) as client:
        response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == status


async def test_through_the_full_application(settings: Settings, auth_headers: dict[str, str]) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:

        async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
            scope["state"] = dict(state or {})
            await app(scope, receive, send)

        transport = httpx.ASGITransport(app=with_state)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers=auth_headers
        ) as client:
            response = await client.post("/graphql", json={"query": '{ ticker(symbol: "LUMN") { name } }'})
    assert response.status_code == 200, response.text
    assert orjson.loads(response.content) == {"data": {"ticker": {"name": "Lumen Technologies Inc"}}}


def test_websocket_route(settings: Settings, gql_deps: Deps) -> None:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        yield {"deps": gql_deps}

    app = Starlette(routes=graphql_routes(settings), lifespan=lifespan)
    # No database on this path: TestClient runs on its own loop, which must not touch the session pool.
    with TestClient(app) as client, client.websocket_connect("/graphql", ["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": "{ sentimentScale { label } }"}})
        message = ws.receive_json()
        assert message["type"] == "next" and len(message["payload"]["data"]["sentimentScale"]) == 7
        assert ws.receive_json() == {"id": "1", "type": "complete"}


async def test_graphiql_works_offline_and_without_a_key(settings: Settings) -> None:
    """The IDE page opens in a browser (no key), loads nothing from the internet, and every asset it names is
    served; queries still need a key."""
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:

        async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
            scope["state"] = dict(state or {})
            await app(scope, receive, send)

        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=with_state), base_url="http://t") as c:
            page = await c.get("/graphql", headers={"accept": "text/html"})
            assert page.status_code == 200 and "text/html" in page.headers["content-type"]
            assets = re.findall(r'(?:src|href)="(/[^"]+)"', page.text)
            assert len(assets) == 7
            assert not re.search(r'(?:src|href)="(?:https?:)?//', page.text)
            for asset in assets:
                served = await c.get(asset)
                assert served.status_code == 200 and len(served.content) > 500, asset
            query = await c.get("/graphql", params={"query": "{ sentimentScale { label } }"})
            assert query.status_code == 401
            post = await c.post("/graphql", json={"query": "{ sentimentScale { label } }"})
            assert post.status_code == 401
