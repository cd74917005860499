"""Ticker queries: one ticker by any spelling of its symbol, the search connection, a ticker's articles."""

from __future__ import annotations

import asyncpg
import httpx
import pytest_asyncio

from services.deps import Deps
from tests.schema.conftest import Scored, data_of, gql, ingest_scored, unique_source


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def scored(gql_deps: Deps, pool: asyncpg.Pool) -> Scored:
    return await ingest_scored(gql_deps, pool, unique_source("gql-tickers"), 4)


async def test_ticker_by_symbol(client: httpx.AsyncClient) -> None:
    ticker = data_of(await gql(client, '{ ticker(symbol: "$lumn") { symbol name exchange sector aliases } }'))
    assert ticker["ticker"]["symbol"] == "LUMN"
    assert ticker["ticker"]["name"] == "Lumen Technologies Inc"
    assert "Lumen" in ticker["ticker"]["aliases"]


async def test_tickers_search_and_pages(client: httpx.AsyncClient) -> None:
    query = """query($after: String) { tickers(first: 2, after: $after) {
                 edges { cursor node { symbol } } pageInfo { hasNextPage endCursor } } }"""
    first = data_of(await gql(client, query))["tickers"]
    second = data_of(await gql(client, query, {"after": first["pageInfo"]["endCursor"]}))["tickers"]
    symbols = [e["node"]["symbol"] for e in first["edges"] + second["edges"]]
    assert symbols == sorted(symbols) and len(set(symbols)) == 4
    found = data_of(await gql(client, '{ tickers(search: "micro") { edges { node { symbol } } } }'))
    assert [e["node"]["symbol"] for e in found["tickers"]["edges"]] == ["MSFT"]


async def test_ticker_articles_in_a_date_range(client: httpx.AsyncClient, scored: Scored) -> None:
    query = """query($from: DateTime, $to: DateTime) { ticker(symbol: "AAPL") {
                 articles(first: 100, from: $from, to: $to) { edges { node { id source } } } } }"""
    edges = data_of(await gql(client, query, {"from": "2026-03-01T13:00:00Z", "to": "2026-03-01T15:00:00Z"}))[
        "ticker"
    ]["articles"]["edges"]
    ours = [e["node"]["id"] for e in edges if e["node"]["source"] == scored.source]
    assert ours == [str(scored.article_ids[2]), str(scored.article_ids[1])]
