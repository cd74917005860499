"""Liveness and readiness: Redis down is degraded but serving, Postgres down is 503 with Retry-After."""

from __future__ import annotations

import httpx
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from api.app import create_app
from core.settings import Settings
from services.deps import Deps
from tests.api.conftest import serve

# Nothing listens on port 1 of loopback: connections are refused at once.
DEAD_REDIS = "redis://127.0.0.1:1/13"


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_readyz_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "postgres": "ok", "redis": "ok"}


async def test_redis_down_is_degraded_and_reads_still_work(
    settings: Settings, auth_headers: dict[str, str]
) -> None:
    app = create_app(settings.model_copy(update={"redis_url": SecretStr(DEAD_REDIS)}))
    async with serve(app, headers=auth_headers) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "degraded", "postgres": "ok", "redis": "down"}
        listing = await client.get("/v1/articles", params={"limit": 1})
        assert listing.status_code == 200


async def test_postgres_down_is_503(settings: Settings) -> None:
    app: Starlette = create_app(settings)
    async with app.router.lifespan_context(app) as state:
        assert state is not None
        deps: Deps = state["deps"]
        # A closed pool fails every acquire, as a dead server does, without touching the shared one.
        await deps.pool.close()

        async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
            scope["state"] = dict(state)
            await app(scope, receive, send)

        transport = httpx.ASGITransport(app=with_state)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.get("/readyz")
            assert (await client.get("/healthz")).status_code == 200
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1
    problem = response.json()
    assert problem["code"] == "unavailable" and problem["postgres"] == "down" and problem["redis"] == "ok"
