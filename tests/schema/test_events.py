"""Events query: filters by type, ticker, article and time; nested article; typed attributes."""

from __future__ import annotations

import asyncpg
import httpx
import pytest_asyncio

from services.deps import Deps
from tests.schema.conftest import Scored, data_of, gql, ingest_scored, unique_source

EVENTS = """query($filter: EventFilter, $first: Int! = 100, $after: String) {
  events(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id type symbol entity attributes confidence model publishedAt article { id } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def scored(gql_deps: Deps, pool: asyncpg.Pool) -> Scored:
    return await ingest_scored(gql_deps, pool, unique_source("gql-events"), 3)


async def test_events_of_an_article(client: httpx.AsyncClient, scored: Scored) -> None:
    article_id = str(scored.article_ids[1])
    edges = data_of(await gql(client, EVENTS, {"filter": {"articleId": article_id}}))["events"]["edges"]
    (event,) = [e["node"] for e in edges]
    assert event["type"] == "acquisition" and event["article"]["id"] == article_id
    assert event["attributes"]["amount"] == 475_000_000


async def test_events_filter_and_pages(client: httpx.AsyncClient, scored: Scored) -> None:
    window = {"from": "2026-03-01T12:00:00Z", "to": "2026-03-01T15:00:00Z"}
    variables = {"filter": {"types": ["acquisition"], "tickers": ["lumn"], **window}, "first": 100}
    ids = {
        e["node"]["article"]["id"] for e in data_of(await gql(client, EVENTS, variables))["events"]["edges"]
    }
    assert {str(i) for i in scored.article_ids} <= ids
    none = {"filter": {"types": ["dividend"], **window}}
    assert data_of(await gql(client, EVENTS, none))["events"]["edges"] == []
    page = data_of(await gql(client, EVENTS, {"filter": window, "first": 1}))["events"]
    assert page["pageInfo"]["hasNextPage"] is True
    after = {"filter": window, "first": 1, "after": page["pageInfo"]["endCursor"]}
    nxt = data_of(await gql(client, EVENTS, after))["events"]["edges"]
    assert nxt[0]["node"]["id"] != page["edges"][0]["node"]["id"]
