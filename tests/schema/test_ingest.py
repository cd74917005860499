"""Ingest mutations: created then idempotent, batches in input order, nothing written on rejection."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from tests.schema.conftest import data_of, gql, unique_source

INGEST_ONE = """mutation($input: ArticleInput!) {
  ingestArticle(input: $input) { created article { id source externalId status sentiment { score }
                                                   tickers { symbol explicit } } }
}"""
INGEST_MANY = """mutation($input: [ArticleInput!]!) {
  ingestArticles(input: $input) { created article { id externalId } }
}"""


def item(source: str, n: int, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "source": source,
        "externalId": f"e{n}",
        "url": f"https://news.example/{source}/{n}",
        "title": f"Lumen buys Alkira, part {n}",
        "summary": "Lumen Technologies agreed to buy Alkira.",
        "body": f"Lumen Technologies agreed to buy Alkira for $475 million in cash ({n}).",
        "authors": ["A. Writer"],
        "publishedAt": "2026-04-01T09:30:00-04:00",
        "language": "en",
        "tickers": ["LUMN"],
    }
    fields.update(overrides)
    return fields


async def test_ingest_article_is_idempotent(client: httpx.AsyncClient) -> None:
    source = unique_source("gql-ingest")
    first = data_of(await gql(client, INGEST_ONE, {"input": item(source, 1)}))["ingestArticle"]
    assert first["created"] is True
    assert first["article"]["status"] == "PENDING" and first["article"]["sentiment"] is None
    assert first["article"]["tickers"] == [{"symbol": "LUMN", "explicit": True}]
    again = data_of(await gql(client, INGEST_ONE, {"input": item(source, 1, title="edited")}))[
        "ingestArticle"
    ]
    assert again["created"] is False and again["article"]["id"] == first["article"]["id"]


async def test_ingest_batch_in_input_order(client: httpx.AsyncClient, pool: asyncpg.Pool) -> None:
    source = unique_source("gql-batch")
    items = [item(source, n) for n in range(5)]
    results = data_of(await gql(client, INGEST_MANY, {"input": items}))["ingestArticles"]
    assert [r["article"]["externalId"] for r in results] == [f"e{n}" for n in range(5)]
    assert all(r["created"] for r in results)
    ids = [int(r["article"]["id"]) for r in results]
    jobs = await pool.fetchval("select count(*) from score_jobs where article_id = any($1::bigint[])", ids)
    assert jobs == 5
    again = data_of(await gql(client, INGEST_MANY, {"input": [*items[:2], item(source, 9)]}))[
        "ingestArticles"
    ]
    assert [r["created"] for r in again] == [False, False, True]
