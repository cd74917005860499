"""An app with a fake text scorer, reference tickers, and a factory for keys with chosen scopes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence

import asyncpg
import httpx
import pytest_asyncio
from starlette.applications import Starlette

from api.app import create_app
from core.records import TickerRef
from core.settings import Settings
from db.tickers import upsert_tickers
from services.deps import Deps
from services.keys import create_key
from services.score_text import TextScorer
from tests.api.conftest import TICKERS, serve

MakeKey = Callable[..., Awaitable[str]]


class FakeScorer:
    """Stands in for the scoring engine: the auth and limit tests need an answer, not NLP."""

    def analyze_text(self, *, title: str, body: str, tickers: tuple[str, ...]) -> Mapping[str, object]:
        return {
            "model": "fake-1",
            "sentiment": {"score": 0.5, "label": "moderately positive", "confidence": 0.9},
            "tickers": [],
            "entities": [],
            "events": [],
        }


def fake_factory(tickers: Sequence[TickerRef]) -> TextScorer:
    return FakeScorer()


@pytest_asyncio.fixture(scope="session", autouse=True)
async def _auth_tickers(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await upsert_tickers(conn, tickers=TICKERS)


@pytest_asyncio.fixture(scope="session")
async def auth_app(settings: Settings) -> Starlette:
    return create_app(settings, scorer_factory=fake_factory)


@pytest_asyncio.fixture(scope="session")
async def bare(auth_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sends no key unless a test passes one."""
    async with serve(auth_app) as c:
        yield c


@pytest_asyncio.fixture(scope="session")
async def make_key(settings: Settings, pool: asyncpg.Pool) -> MakeKey:
    deps = Deps(settings=settings, pool=pool)

    async def make(scopes: Sequence[str], *, rate: int | None = 1_000_000, name: str = "test key") -> str:
        return (await create_key(deps, name=name, scopes=scopes, rate_per_min=rate)).secret

    return make
