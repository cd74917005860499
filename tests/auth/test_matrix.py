"""Every REST endpoint and GraphQL root field x {no key, bad, unknown, revoked, wrong scope, right scope}."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from core.settings import Settings
from schema.app import build_schema
from services.deps import Deps
from services.keys import SCOPES, key_id_of, revoke_key
from tests.api.contract import Contract, load_spec
from tests.auth.conftest import MakeKey


@dataclass(frozen=True)
class Call:
    name: str
    method: str
    path: str
    scope: str
    ok: int
    json: Any = None


def _article() -> dict[str, Any]:
    return {
        "source": "auth-matrix",
        "external_id": uuid.uuid4().hex,
        "title": f"Lumen buys Alkira {uuid.uuid4().hex[:8]}",
        "body": "Lumen Technologies agreed to acquire Alkira for $475 million in cash.",
        "published_at": "2026-11-20T13:30:00Z",
    }


def _gql(query: str) -> dict[str, Any]:
    return {"query": query}


ARTICLE_INPUT = (
    '{source: "auth-matrix-gql", title: "T %s", body: "Lumen buys Alkira.",'
    ' publishedAt: "2026-11-20T13:30:00Z"}'
)

GRAPHQL_FIELDS: dict[str, tuple[str, str]] = {
    "article": ("read", '{ article(id: "%(article_id)s") { id } }'),
    "articles": ("read", "{ articles(first: 1) { edges { node { id } } } }"),
    "ticker": ("read", '{ ticker(symbol: "LUMN") { symbol } }'),
    "tickers": ("read", "{ tickers(first: 1) { edges { node { symbol } } } }"),
    "events": ("read", "{ events(first: 1) { edges { node { id } } } }"),
    "sentimentScale": ("read", "{ sentimentScale { label } }"),
    "ingestArticle": ("ingest", "mutation { ingestArticle(input: %(input)s) { created } }"),
    "ingestArticles": ("ingest", "mutation { ingestArticles(input: [%(input)s]) { created } }"),
}


def rest_calls(article_id: int) -> list[Call]:
    return [
        Call("listArticles", "GET", "/v1/articles", "read", 200),
        Call("createArticles", "POST", "/v1/articles", "ingest", 201, _article()),
        Call("getArticle", "GET", f"/v1/articles/{article_id}", "read", 200),
        Call("listTickers", "GET", "/v1/tickers", "read", 200),
        Call("getTicker", "GET", "/v1/tickers/LUMN", "read", 200),
        Call("getTickerSentiment", "GET", "/v1/tickers/LUMN/sentiment", "read", 200),
        Call("listEvents", "GET", "/v1/events", "read", 200),
        Call("getSentimentScale", "GET", "/v1/meta/sentiment-scale", "read", 200),
        Call("getNewsSentiment", "GET", "/v1/news-sentiment", "read", 200),
        Call("scoreText", "POST", "/v1/score", "score", 200, {"title": "Lumen", "body": "Lumen beat."}),
        Call("listAdminJobs", "GET", "/v1/admin/jobs", "admin", 200),
        Call("retryAdminJobs", "POST", "/v1/admin/jobs/retry", "admin", 200, {"job_ids": [2**40]}),
    ]


def graphql_calls(article_id: int) -> list[Call]:
    return [
        Call(
            f"graphql:{field}",
            "POST",
            "/graphql",
            scope,
            200,
            _gql(query % {"article_id": article_id, "input": ARTICLE_INPUT % uuid.uuid4().hex}),
        )
        for field, (scope, query) in GRAPHQL_FIELDS.items()
    ]


def test_every_rest_route_is_in_the_matrix(auth_app: Starlette) -> None:
    served = {
        (method, route.name)
        for route in auth_app.routes
        if isinstance(route, Route) and route.path.startswith("/v1")
        for method in (route.methods or set()) - {"HEAD"}
    }
    listed = {(c.method, c.name) for c in rest_calls(1)}
    assert served == listed


def test_every_graphql_root_field_is_in_the_matrix(settings: Settings) -> None:
    gql = build_schema(settings)._schema
    assert gql.query_type is not None
    fields = set(gql.query_type.fields) | set(gql.mutation_type.fields if gql.mutation_type else {})
    assert fields == set(GRAPHQL_FIELDS)


async def _call(client: httpx.AsyncClient, call: Call, headers: dict[str, str]) -> httpx.Response:
    # Fresh bodies per attempt: an ingest that succeeds must not turn the next one into a 200.
    body = call.json
    if call.name == "createArticles":
        body = _article()
    if call.name == "graphql:ingestArticle" or call.name == "graphql:ingestArticles":
        body = {"query": body["query"].replace("auth-matrix-gql", f"auth-matrix-{uuid.uuid4().hex[:6]}")}
    return await client.request(call.method, call.path, json=body, headers=headers)


async def test_authorization_matrix(
    bare: httpx.AsyncClient, make_key: MakeKey, settings: Settings, pool: asyncpg.Pool
) -> None:
    full = await make_key(SCOPES, name="matrix: all scopes")
    created = await bare.post("/v1/articles", json=_article(), headers={"X-API-Key": full})
    assert created.status_code == 201, created.text
    article_id = created.json()["id"]
    revoked = await make_key(SCOPES, name="matrix: revoked")
    key_id = key_id_of(revoked)
    assert key_id is not None
    await revoke_key(Deps(settings=settings, pool=pool), key_id=key_id)
    unknown = "tt_zzzzzzzz_" + "A" * 43
    wrong = {scope: await make_key([s for s in SCOPES if s != scope]) for scope in SCOPES}
    right = {scope: await make_key([scope]) for scope in SCOPES}

    contract = Contract(load_spec())
    failures: list[str] = []
    for call in rest_calls(article_id) + graphql_calls(article_id):
        cases: list[tuple[str, dict[str, str], int]] = [
            ("no key", {}, 401),
            ("malformed", {"Authorization": "Bearer not-a-key"}, 401),
            ("malformed scheme", {"Authorization": f"Basic {full}"}, 401),
            ("unknown", {"X-API-Key": unknown}, 401),
            ("revoked", {"Authorization": f"Bearer {revoked}"}, 401),
            ("wrong scope", {"X-API-Key": wrong[call.scope]}, 403),
            ("right scope", {"Authorization": f"Bearer {right[call.scope]}"}, call.ok),
        ]
        for label, headers, expected in cases:
            response = await _call(bare, call, headers)
            if response.status_code != expected:
                failures.append(
                    f"{call.name} / {label}: {response.status_code} != {expected}: {response.text[:200]}"
                )
                continue
            if expected in (401, 403):
                assert response.headers["content-type"].startswith("application/problem+json")
            if expected == 401:
                assert response.headers["WWW-Authenticate"].startswith("Bearer")
            if call.path != "/graphql":
                # Every status the matrix sees must be one the contract documents for that operation.
                try:
                    contract.check(
                        call.method,
                        call.path,
                        response.status_code,
                        response.headers.get("content-type", ""),
                        response.content,
                    )
                except AssertionError as exc:
                    failures.append(f"{call.name} / {label}: contract: {exc}")
            if call.path == "/graphql" and expected == 200:
                errors = response.json().get("errors")
                if errors:
                    failures.append(f"{call.name} / {label}: GraphQL errors {errors}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("param", ["apikey", "api_key", "token"])
async def test_key_in_query_string_is_refused(bare: httpx.AsyncClient, make_key: MakeKey, param: str) -> None:
    key = await make_key(["read"])
    response = await bare.get(f"/v1/tickers?{param}={key}", headers={"X-API-Key": key})
    assert response.status_code == 401
    assert response.json()["reason"] == "key_in_query"
    assert key not in response.text


async def test_public_paths_need_no_key(bare: httpx.AsyncClient) -> None:
    for path in ("/healthz", "/openapi.yaml"):
        assert (await bare.get(path)).status_code == 200, path


async def test_key_is_never_logged(
    bare: httpx.AsyncClient, make_key: MakeKey, caplog: pytest.LogCaptureFixture
) -> None:
    key = await make_key(["read"])
    caplog.set_level("DEBUG")
    await bare.get("/v1/tickers", headers={"X-API-Key": key})
    await bare.get(f"/v1/tickers?apikey={key}")
    await bare.post("/v1/articles", json={"bad": key}, headers={"X-API-Key": key})
    # httpx (the test's client) logs the URL it was asked to send; the server side must not.
    server_side = [r.getMessage() for r in caplog.records if not r.name.startswith("httpx")]
    assert not any(key in line for line in server_side)


@pytest.mark.parametrize(
    "query_string",
    [
        "query={sentimentScale{label}}",
        "%71uery={sentimentScale{label}}",
        "qu%65ry=%7BsentimentScale%7Blabel%7D%7D",
    ],
)
async def test_the_graphiql_page_does_not_open_queries_to_anyone(
    bare: httpx.AsyncClient, query_string: str
) -> None:
    # In development the IDE page itself needs no key; a GET that carries a query, however encoded, does.
    response = await bare.get(f"/graphql?{query_string}", headers={"Accept": "text/html"})
    assert response.status_code == 401, response.text[:200]
