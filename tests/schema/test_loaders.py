"""No N+1: a page of articles with tickers, each ticker's Ticker, events and each event's article runs a
constant number of SQL statements, whatever the page size (counted with asyncpg's query logger)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from core.settings import Settings
from db.pool import init_connection
from schema.app import Mutation, Query
from schema.errors import AppSchema, ErrorCodes
from schema.loaders import make_context
from services.deps import Deps
from tests.schema.conftest import ingest_scored, unique_source

PAGE = """
query Page($source: String!, $first: Int!) {
  articles(filter: {sources: [$source]}, first: $first) {
    edges { cursor node {
      id title status sentiment { score label }
      tickers { symbol relevance sentiment { score } highlights { text } ticker { symbol name sector } }
      events { id type attributes article { id title } }
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


# asyncpg's own statements: the reset on release to the pool and, on a connection's first use of a
# type, its type introspection (with JIT switched off around it). None of them is ours.
_DRIVER = (
    "SELECT pg_advisory_unlock_all()",
    "WITH RECURSIVE typeinfo_tree",
    "current_setting('jit')",
    "set_config('jit'",
)


class StatementLog:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, record: Any) -> None:
        self.statements.append(record.query)

    def ours(self) -> list[str]:
        return [s for s in self.statements if not any(marker in s for marker in _DRIVER)]


@pytest_asyncio.fixture
async def counted(database_url: str) -> AsyncIterator[tuple[asyncpg.Pool, StatementLog]]:
    log = StatementLog()

    async def init(conn: asyncpg.Connection) -> None:
        await init_connection(conn)
        conn.add_query_logger(log)

    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4, init=init)
    assert pool is not None
    try:
        yield pool, log
    finally:
        await pool.close()


@pytest.fixture(scope="module")
def source() -> str:
    return unique_source("gql-loaders")


async def test_statement_count_is_constant_in_page_size(
    settings: Settings,
    deps: Deps,
    pool: asyncpg.Pool,
    counted: tuple[asyncpg.Pool, StatementLog],
    source: str,
) -> None:
    await ingest_scored(deps, pool, source, 50)
    counting_pool, log = counted
    counting_deps = Deps(settings=settings, pool=counting_pool)
    # The loaders are under test, so the schema runs without the request-level limits (schema.limits).
    schema = AppSchema(query=Query, mutation=Mutation, extensions=[ErrorCodes])

    counts: dict[int, int] = {}
    for first in (5, 50):
        log.statements.clear()
        result = await schema.execute(
            PAGE,
            variable_values={"source": source, "first": first},
            context_value=make_context(counting_deps),
        )
        assert result.errors is None, result.errors
        assert result.data is not None
        edges = result.data["articles"]["edges"]
        assert len(edges) == first
        assert all(len(e["node"]["tickers"]) == 2 and len(e["node"]["events"]) == 1 for e in edges)
        assert all(t["ticker"]["name"] for e in edges for t in e["node"]["tickers"])
        counts[first] = len(log.ours())

    # The page, its tickers, its events, the reference tickers; Event.article comes from the primed loader.
    assert counts == {5: 4, 50: 4}, counts


TICKER_PAGE = """
query Tickers($first: Int!) {
  tickers(first: $first) {
    edges { node {
      symbol
      articles(first: 3) { edges { node { id title tickers { symbol } } } pageInfo { hasNextPage } }
    } }
  }
}
"""


async def test_ticker_articles_are_batched(
    settings: Settings, counted: tuple[asyncpg.Pool, StatementLog], source: str
) -> None:
    counting_pool, log = counted
    counting_deps = Deps(settings=settings, pool=counting_pool)
    schema = AppSchema(query=Query, mutation=Mutation, extensions=[ErrorCodes])
    counts: dict[int, int] = {}
    linked = 0
    for first in (2, 5):
        log.statements.clear()
        result = await schema.execute(
            TICKER_PAGE, variable_values={"first": first}, context_value=make_context(counting_deps)
        )
        assert result.errors is None, result.errors
        assert result.data is not None
        edges = result.data["tickers"]["edges"]
        assert len(edges) == first
        linked += sum(len(e["node"]["articles"]["edges"]) for e in edges)
        counts[first] = len(log.ours())
    assert linked > 0, "no ticker on the page has articles: the test would prove nothing"
    # The ticker page, every ticker's articles (one lateral join), the articles' ticker links.
    assert counts == {2: 3, 5: 3}, counts
