"""The app under test over ``httpx.ASGITransport`` with its lifespan run in the session loop.

Every response the shared ``client`` receives is checked against ``openapi/openapi.yaml`` and must
not be a 500.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from api.app import create_app
from core.records import TickerRef
from core.settings import Settings
from db.tickers import upsert_tickers
from tests.api.contract import Contract, load_spec

TICKERS = [
    TickerRef(
        "LUMN", "Lumen Technologies Inc", ("Lumen Technologies", "Lumen", "$LUMN"), "NYSE", "Communication"
    ),
    TickerRef("AAPL", "Apple Inc.", ("Apple", "$AAPL"), "NASDAQ", "Information Technology"),
    TickerRef("MSFT", "Microsoft Corporation", ("Microsoft", "$MSFT"), "NASDAQ", "Information Technology"),
    TickerRef("NVDA", "NVIDIA Corporation", ("Nvidia", "$NVDA"), "NASDAQ", "Information Technology"),
    TickerRef("BRK.B", "Berkshire Hathaway Inc. Class B", ("Berkshire Hathaway",), "NYSE", "Financials"),
]


@pytest_asyncio.fixture(scope="session", autouse=True)
async def _reference_tickers(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await upsert_tickers(conn, tickers=TICKERS)


@pytest.fixture(scope="session")
def contract() -> Contract:
    return Contract(load_spec())


@asynccontextmanager
async def serve(app: Starlette, **client_args: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client over the app, with the app's lifespan running around it (ASGITransport skips it)."""
    async with app.router.lifespan_context(app) as state:
        assert state is not None

        async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
            scope["state"] = dict(state)
            await app(scope, receive, send)

        transport = httpx.ASGITransport(app=with_state, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", **client_args) as c:
            yield c


def contract_hook(contract: Contract) -> Callable[[httpx.Response], Any]:
    async def check(response: httpx.Response) -> None:
        await response.aread()
        assert response.status_code != 500, response.text
        if response.request.method != "HEAD":
            contract.check(
                response.request.method,
                response.request.url.path,
                response.status_code,
                response.headers.get("content-type", ""),
                response.content,
            )

    return check


@pytest_asyncio.fixture(scope="session")
async def app(settings: Settings) -> Starlette:
    return create_app(settings)


@pytest_asyncio.fixture(scope="session")
async def client(
    app: Starlette, contract: Contract, auth_headers: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(app, headers=auth_headers, event_hooks={"response": [contract_hook(contract)]}) as c:
        yield c


@pytest.fixture
def source() -> str:
    """A source name no other test uses, so list filters see only this test's articles."""
    return f"api-test-{uuid.uuid4().hex[:12]}"


def article_json(source: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source": source,
        "external_id": uuid.uuid4().hex,
        "title": f"Lumen buys Alkira for $475M {uuid.uuid4().hex[:8]}",
        "body": "Lumen Technologies agreed to acquire Alkira for $475 million in cash.",
        "published_at": "2026-11-20T13:30:00Z",
    }
    body.update(overrides)
    return body


async def table_counts(pool: asyncpg.Pool) -> tuple[int, int, int]:
    row = await pool.fetchrow(
        "select (select count(*) from articles) a, (select count(*) from score_jobs) j,"
        " (select count(*) from sources) s"
    )
    assert row is not None
    return int(row["a"]), int(row["j"]), int(row["s"])
