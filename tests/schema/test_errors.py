"""The GraphQL half of the bad-input table: every client mistake is an error with ``extensions.code``
(never "Unexpected error", never HTTP 500) and a rejected write leaves nothing behind; unexpected
failures are masked and logged."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from services import articles as article_service
from tests.schema.conftest import gql, unique_source
from tests.schema.test_ingest import INGEST_MANY, INGEST_ONE, item

SOURCE = unique_source("gql-errors")
LIST = "query($first: Int!, $after: String) { articles(first: $first, after: $after) { edges { cursor } } }"

# (name, query, variables, code, field) — field None when the error names none.
CASES: list[tuple[str, str, dict[str, Any], str, str | None]] = [
    ("syntax error", "{ articles(first: 1) { edges { node { id } }", {}, "syntax_error", None),
    ("unknown field", "{ articles { edges { node { sentimentScore } } } }", {}, "invalid_query", None),
    ("unknown argument", '{ article(id: "1", slug: "x") { id } }', {}, "invalid_query", None),
    ("wrong literal type", '{ articles(first: "ten") { edges { cursor } } }', {}, "invalid_query", None),
    ("wrong variable type", LIST, {"first": "ten"}, "invalid_variables", None),
    ("missing variable", LIST, {}, "invalid_variables", None),
    ("first=0", LIST, {"first": 0}, "out_of_range", "first"),
    ("first=101", LIST, {"first": 101}, "out_of_range", "first"),
    ("first=-1 on tickers", "{ tickers(first: -1) { edges { cursor } } }", {}, "out_of_range", "first"),
    ("bad cursor", LIST, {"first": 5, "after": "not-a-cursor"}, "invalid_cursor", "after"),
    ("forged cursor", LIST, {"first": 5, "after": "eDE6MToy"}, "invalid_cursor", "after"),
    ("bad ticker cursor", '{ tickers(after: "zz") { edges { cursor } } }', {}, "invalid_cursor", "after"),
    ("bad ID", '{ article(id: "abc") { id } }', {}, "invalid_input", "id"),
    ("ID past bigint", '{ article(id: "99999999999999999999") { id } }', {}, "invalid_input", "id"),
    ("unknown article", '{ article(id: "9223372036854775000") { id } }', {}, "not_found", None),
    ("unknown ticker", '{ ticker(symbol: "ZZZZZ") { name } }', {}, "not_found", None),
    ("malformed symbol", '{ ticker(symbol: "not a symbol") { name } }', {}, "invalid_input", "symbol"),
    (
        "bad DateTime",
        "query($f: ArticleFilter) { articles(filter: $f) { edges { cursor } } }",
        {"f": {"from": "yesterday"}},
        "invalid_variables",
        None,
    ),
    (
        "naive DateTime filter",
        "query($f: ArticleFilter) { articles(filter: $f) { edges { cursor } } }",
        {"f": {"from": "2026-01-01T00:00:00"}},
        "invalid_input",
        "filter.from",
    ),
    (
        "from after to",
        "query($f: ArticleFilter) { articles(filter: $f) { edges { cursor } } }",
        {"f": {"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}},
        "invalid_input",
        "from",
    ),
    (
        "unknown label",
        '{ articles(filter: {labels: ["ecstatic"]}) { edges { cursor } } }',
        {},
        "invalid_input",
        "label",
    ),
    (
        "score out of range",
        "{ articles(filter: {scoreMin: 2}) { edges { cursor } } }",
        {},
        "out_of_range",
        "scoreMin",
    ),
    (
        "unknown event type",
        '{ events(filter: {types: ["alien_landing"]}) { edges { cursor } } }',
        {},
        "invalid_input",
        "type",
    ),
    ("mutation input not an object", INGEST_ONE, {"input": "article"}, "invalid_variables", None),
    ("missing required input field", INGEST_ONE, {"input": {"source": "x"}}, "invalid_variables", None),
    (
        "NUL byte in title",
        INGEST_ONE,
        {"input": item(SOURCE, 1, title="Lumen\u0000 buys")},
        "validation_failed",
        "input.title",
    ),
    (
        "NUL byte in body",
        INGEST_ONE,
        {"input": item(SOURCE, 2, body="Lumen\u0000 buys Alkira")},
        "validation_failed",
        "input.body",
    ),
    (
        "overlong title",
        INGEST_ONE,
        {"input": item(SOURCE, 3, title="x" * 1001)},
        "validation_failed",
        "input.title",
    ),
    (
        "naive publishedAt",
        INGEST_ONE,
        {"input": item(SOURCE, 4, publishedAt="2026-04-01T09:30:00")},
        "validation_failed",
        "input.publishedAt",
    ),
    (
        "publishedAt not a date",
        INGEST_ONE,
        {"input": item(SOURCE, 5, publishedAt="April 1st")},
        "invalid_variables",
        None,
    ),
    ("bad url", INGEST_ONE, {"input": item(SOURCE, 6, url="ftp://x")}, "validation_failed", "input.url"),
    (
        "unknown ticker at ingest",
        INGEST_ONE,
        {"input": item(SOURCE, 7, tickers=["ZZZZZ"])},
        "unknown_ticker",
        "tickers",
    ),
    ("empty batch", INGEST_MANY, {"input": []}, "invalid_input", "articles"),
    (
        "batch of 1,001",
        INGEST_MANY,
        {"input": [item(SOURCE, 1000 + n) for n in range(1001)]},
        "batch_too_large",
        "articles",
    ),
    (
        "batch with one bad item",
        INGEST_MANY,
        {"input": [item(SOURCE, 20), item(SOURCE, 21, publishedAt="2026-04-01T09:30:00"), item(SOURCE, 22)]},
        "validation_failed",
        "input[1].publishedAt",
    ),
    (
        "batch with one unknown ticker",
        INGEST_MANY,
        {"input": [item(SOURCE, 30), item(SOURCE, 31, tickers=["ZZZZZ"])]},
        "unknown_ticker",
        "tickers",
    ),
]


@pytest.mark.parametrize(
    ("query", "variables", "code", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_bad_input(
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    query: str,
    variables: dict[str, Any],
    code: str,
    field: str | None,
) -> None:
    with caplog.at_level(logging.ERROR, logger="tickertone.graphql"):
        body = await gql(client, query, variables)
    assert body["data"] is None or all(v is None for v in body["data"].values())
    error = body["errors"][0]
    assert {e["extensions"]["code"] for e in body["errors"]} == {code}, body["errors"]
    assert error["message"] != "Unexpected error."
    if field is not None:
        assert error["extensions"]["field"] == field, error
    if code == "validation_failed":
        assert any(e["field"] == field for e in error["extensions"]["errors"])
    # Client mistakes are not logged as errors.
    assert not caplog.records


async def test_rejected_writes_wrote_nothing(pool: asyncpg.Pool) -> None:
    # Runs after the table above (same module, file order): none of its ingests left a row.
    count = await pool.fetchval(
        "select count(*) from articles a join sources s on s.id = a.source_id where s.name = $1", SOURCE
    )
    assert count == 0


async def test_validation_errors_list_every_field(client: httpx.AsyncClient) -> None:
    bad = item(SOURCE, 40, title="", publishedAt="2026-04-01T09:30:00", language="english!")
    (error,) = (await gql(client, INGEST_ONE, {"input": bad}))["errors"]
    fields = {e["field"] for e in error["extensions"]["errors"]}
    assert fields == {"input.title", "input.publishedAt", "input.language"}


@pytest.mark.parametrize(
    ("content", "content_type", "code", "status"),
    [
        (b'{"query": ', "application/json", "malformed_request", 400),
        (b'{"query": "\xff\xfe"}', "application/json", "malformed_request", 400),
        (b"42", "application/json", "malformed_request", 400),
        (b'[{"query": "{ sentimentScale { label } }"}]', "application/json", "malformed_request", 400),
        (b'{"query": 7}', "application/json", "malformed_request", 400),
        (b'{"variables": {}}', "application/json", "malformed_request", 400),
        (b"query { sentimentScale { label } }", "text/plain", "malformed_request", 400),
    ],
    ids=[
        "truncated JSON",
        "invalid UTF-8",
        "not an object",
        "batch",
        "query not a string",
        "no query",
        "text/plain",
    ],
)
async def test_bad_http_requests(
    client: httpx.AsyncClient, content: bytes, content_type: str, code: str, status: int
) -> None:
    response = await client.post("/graphql", content=content, headers={"content-type": content_type})
    assert response.status_code == status
    assert orjson.loads(response.content)["errors"][0]["extensions"]["code"] == code


async def test_mutation_over_get_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql", params={"query": "mutation { ingestArticles(input: []) { created } }"}
    )
    assert response.status_code == 400
    assert orjson.loads(response.content)["errors"][0]["extensions"]["code"] == "malformed_request"


async def test_query_over_get(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "{ sentimentScale { label } }"})
    assert response.status_code == 200 and len(orjson.loads(response.content)["data"]["sentimentScale"]) == 7


async def test_unexpected_error_is_masked_and_logged(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("connection to 10.0.0.5 refused")

    monkeypatch.setattr(article_service, "get_article", broken)
    # The compiled read path (schema.compiled) fails the same way and hands the request to strawberry.
    monkeypatch.setattr(article_service, "get_data_json", broken)
    with caplog.at_level(logging.ERROR, logger="tickertone.graphql"):
        body = await gql(client, '{ article(id: "1") { id } }')
    (error,) = body["errors"]
    assert error == {
        "message": "Unexpected error.",
        "locations": [{"line": 1, "column": 3}],
        "path": ["article"],
        "extensions": {"code": "internal"},
    }
    assert "10.0.0.5" not in orjson.dumps(body).decode()
    assert [r.exc_info[1] for r in caplog.records if r.exc_info] and "10.0.0.5" in str(
        caplog.records[0].exc_info
    )
