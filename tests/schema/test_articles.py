"""Article queries over HTTP: one article, the keyset connection, every filter, nested fields."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
import pytest_asyncio

from services.deps import Deps
from tests.schema.conftest import Scored, data_of, gql, ingest_scored, unique_source

ARTICLE = """
query One($id: ID!) {
  article(id: $id) {
    id source externalId url title summary body authors publishedAt language status
    sentiment { score label confidence model scoredAt }
    tickers { symbol name explicit relevance sentiment { score label confidence model }
              highlights { text section start end score } ticker { symbol exchange aliases } }
    events { id type symbol entity attributes evidence { text } confidence model publishedAt
             article { id } }
  }
}
"""

LIST = """
query List($filter: ArticleFilter, $first: Int!, $after: String, $order: ArticleOrder! = PUBLISHED_DESC) {
  articles(filter: $filter, first: $first, after: $after, orderBy: $order) {
    edges { cursor node { id publishedAt status } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def scored(gql_deps: Deps, pool: asyncpg.Pool) -> Scored:
    return await ingest_scored(gql_deps, pool, unique_source("gql-articles"), 7)


async def test_scored_article_with_nested_fields(client: httpx.AsyncClient, scored: Scored) -> None:
    article = data_of(await gql(client, ARTICLE, {"id": str(scored.article_ids[0])}))["article"]
    assert article["id"] == str(scored.article_ids[0])
    assert article["status"] == "SCORED"
    assert article["sentiment"]["label"] == "moderately positive"
    assert article["sentiment"]["model"] == "test-model-1"
    assert article["publishedAt"] == "2026-03-01T12:00:00+00:00"
    lumn = next(t for t in article["tickers"] if t["symbol"] == "LUMN")
    assert lumn["explicit"] is True and lumn["relevance"] == pytest.approx(0.95)
    assert lumn["sentiment"]["label"] == "moderately positive"
    assert lumn["highlights"][0]["section"] == "body"
    assert lumn["ticker"]["exchange"] == "NYSE" and "Lumen" in lumn["ticker"]["aliases"]
    (event,) = article["events"]
    assert event["type"] == "acquisition" and event["entity"] == "Alkira" and event["symbol"] == "LUMN"
    assert event["attributes"] == {"amount": 475_000_000, "currency": "USD", "consideration": "cash"}
    assert event["article"]["id"] == article["id"]


async def test_pending_article_has_no_sentiment(client: httpx.AsyncClient, gql_deps: Deps) -> None:
    body = await gql(
        client,
        """mutation($input: ArticleInput!) { ingestArticle(input: $input) { article { id } } }""",
        {
            "input": {
                "source": unique_source("gql-pending"),
                "title": "Lumen raises free cash flow guidance",
                "body": "Lumen Technologies raised its full-year free cash flow guidance to $1.9B-$2.1B.",
                "publishedAt": "2026-03-02T08:00:00Z",
                "tickers": ["lumn"],
            }
        },
    )
    article_id = data_of(body)["ingestArticle"]["article"]["id"]
    article = data_of(await gql(client, ARTICLE, {"id": article_id}))["article"]
    assert article["status"] == "PENDING" and article["sentiment"] is None and article["events"] == []
    assert [(t["symbol"], t["explicit"], t["relevance"], t["sentiment"]) for t in article["tickers"]] == [
        ("LUMN", True, None, None)
    ]


async def test_keyset_pages_cover_the_list_once(client: httpx.AsyncClient, scored: Scored) -> None:
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        variables = {"filter": {"sources": [scored.source]}, "first": 3, "after": after}
        connection = data_of(await gql(client, LIST, variables))["articles"]
        pages += 1
        seen += [e["node"]["id"] for e in connection["edges"]]
        info = connection["pageInfo"]
        assert info["hasPreviousPage"] is (after is not None)
        assert info["endCursor"] == connection["edges"][-1]["cursor"]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert pages == 3
    assert seen == [str(i) for i in reversed(scored.article_ids)]


async def test_ascending_order(client: httpx.AsyncClient, scored: Scored) -> None:
    variables = {"filter": {"sources": [scored.source]}, "first": 100, "order": "PUBLISHED_ASC"}
    edges = data_of(await gql(client, LIST, variables))["articles"]["edges"]
    assert [e["node"]["id"] for e in edges] == [str(i) for i in scored.article_ids]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, 7),
        ({"tickersAny": ["$lumn", "MSFT"]}, 7),
        ({"tickersAny": ["LUMN"]}, 7),
        ({"tickersAll": ["LUMN", "AAPL"]}, 7),
        ({"tickersAll": ["LUMN", "MSFT"]}, 0),
        ({"from": "2026-03-01T14:00:00Z", "to": "2026-03-01T16:00:00Z"}, 2),
        ({"scoreMin": 0.5, "scoreMax": 0.7}, 7),
        ({"scoreMin": 0.75}, 0),
        ({"labels": ["moderately positive"]}, 7),
        ({"labels": ["neutral"]}, 0),
        ({"eventTypes": ["acquisition"]}, 7),
        ({"eventTypes": ["dividend"]}, 0),
        ({"search": "Alkira"}, 7),
        ({"search": "bankruptcy"}, 0),
        ({"status": "SCORED"}, 7),
        ({"status": "PENDING"}, 0),
    ],
)
async def test_filters(
    client: httpx.AsyncClient, scored: Scored, extra: dict[str, object], expected: int
) -> None:
    variables = {"filter": {"sources": [scored.source], **extra}, "first": 100}
    edges = data_of(await gql(client, LIST, variables))["articles"]["edges"]
    assert len(edges) == expected
