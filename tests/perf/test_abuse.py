"""Hostile GraphQL requests cost nothing: each is refused in < 50 ms with a code and no resolver call.

Requests go through the whole app (authentication, rate limits, the GraphQL front, strawberry) over
``httpx.ASGITransport``. A counter on graphql-core's ``Executor.execute_field`` proves that no field
resolver ran; a well-formed query beforehand shows the counter does count.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest
import pytest_asyncio
from graphql import parse
from graphql.execution.executor import Executor

from api.app import create_app
from core.settings import Settings
from schema.app import build_schema
from schema.limits import check_document, limits_for
from tests.api.conftest import serve
from tests.schema.test_loaders import PAGE

LIMIT_MS = 50.0


@pytest_asyncio.fixture(scope="module")
async def client(settings: Settings, auth_headers: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(create_app(settings), headers=auth_headers) as c:
        yield c


@pytest.fixture
def field_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    original: Callable[..., Any] = Executor.execute_field

    def counting(self: Executor[Any], *args: Any, **kwargs: Any) -> Any:
        calls.append("field")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Executor, "execute_field", counting)
    return calls


def _nested(depth: int) -> str:
    # article -> tickers -> ticker -> articles -> edges -> node -> tickers -> ... about `depth` levels.
    inner = "id"
    levels = 0
    while levels < depth:
        inner = f"tickers {{ ticker {{ articles(first: 1) {{ edges {{ node {{ {inner} }} }} }} }} }}"
        levels += 5
    return f'{{ article(id: "1") {{ {inner} }} }}'


def _aliases(n: int) -> str:
    return "{ " + " ".join(f'a{i}: article(id: "{i}") {{ id }}' for i in range(n)) + " }"


def _directives(n: int) -> str:
    return "{ sentimentScale " + " ".join("@include(if: true)" for _ in range(n)) + " { label } }"


def _costly() -> str:
    # 10 roots x 100 articles x 10 tickers x 100 articles x 21 objects: 22,032,010, over 1,000x the
    # limit of 20,000 (schema.limits counts objects; leaves are free), within the depth and alias limits.
    inner = (
        "articles(first: 100) { edges { node { tickers { ticker {"
        " articles(first: 100) { edges { node { tickers { symbol } events { type } } } } } } } } }"
    )
    return "{ " + " ".join(f"r{i}: {inner}" for i in range(10)) + " }"


CASES: dict[str, tuple[Callable[[], bytes], set[str]]] = {
    "depth 50": (lambda: json.dumps({"query": _nested(50)}).encode(), {"max_depth_exceeded"}),
    "1,000 aliases": (
        lambda: json.dumps({"query": _aliases(1_000)}).encode(),
        {"too_many_tokens", "max_aliases_exceeded"},
    ),
    "200 directives": (lambda: json.dumps({"query": _directives(200)}).encode(), {"max_directives_exceeded"}),
    "1,000-operation batch": (
        lambda: json.dumps([{"query": "{ sentimentScale { label } }"}] * 1_000).encode(),
        {"batching_disabled"},
    ),
    "cost 1,000x the limit": (lambda: json.dumps({"query": _costly()}).encode(), {"cost_limit_exceeded"}),
    "10 MB body": (
        lambda: json.dumps({"query": "{ sentimentScale { label } }", "pad": "x" * 10_000_000}).encode(),
        {"payload_too_large"},
    ),
}


def _codes(response: httpx.Response) -> set[str]:
    body = response.json()
    if "errors" in body:
        return {str(e.get("extensions", {}).get("code")) for e in body["errors"]}
    return {str(body.get("code"))}  # problem+json from the body-size guard


async def test_counter_sees_resolvers(client: httpx.AsyncClient, field_calls: list[str]) -> None:
    # A fresh alias: a cached response would (rightly) execute nothing.
    query = f"{{ s{uuid.uuid4().hex}: sentimentScale {{ label }} }}"
    response = await client.post("/graphql", json={"query": query})
    assert response.status_code == 200, response.text
    assert field_calls


@pytest.mark.parametrize("case", list(CASES))
async def test_abuse_is_refused_fast_without_execution(
    client: httpx.AsyncClient, field_calls: list[str], case: str
) -> None:
    make, expected = CASES[case]
    body = make()
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        response = await client.post("/graphql", content=body, headers={"content-type": "application/json"})
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code in (200, 400, 413), response.text[:300]
        assert _codes(response) & expected, (case, response.text[:300])
    assert field_calls == [], f"{case}: {len(field_calls)} resolver calls"
    assert statistics.median(timings) < LIMIT_MS, (case, timings)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ articles(first: 101) { edges { node { id } } } }", "out_of_range"),
        (
            "{ " + " ".join(f"s{i}: sentimentScale {{ label }}" for i in range(11)) + " }",
            "max_root_fields_exceeded",
        ),
        ("{ article(id: ", "syntax_error"),
    ],
)
async def test_other_limits(client: httpx.AsyncClient, field_calls: list[str], query: str, code: str) -> None:
    response = await client.post("/graphql", json={"query": query})
    assert code in _codes(response), response.text[:300]
    assert field_calls == []


async def test_first_from_variables_is_checked(client: httpx.AsyncClient, field_calls: list[str]) -> None:
    query = "query($n: Int!) { articles(first: $n) { edges { node { id } } } }"
    response = await client.post("/graphql", json={"query": query, "variables": {"n": 5000}})
    assert "out_of_range" in _codes(response)
    assert field_calls == []


def test_introspection_is_refused_outside_development(settings: Settings) -> None:
    production = settings.model_copy(update={"env": "production"})
    schema = build_schema(production)._schema
    errors = check_document(schema, parse("{ __schema { types { name } } }"), limits=limits_for(production))
    assert [e.extensions["code"] for e in errors if e.extensions] == ["introspection_disabled"]
    assert check_document(schema, parse("{ __schema { types { name } } }"), limits=limits_for(settings)) == []


@pytest.mark.parametrize("first", [50, 100])
async def test_a_page_with_tickers_and_events_is_accepted(
    client: httpx.AsyncClient, field_calls: list[str], first: int
) -> None:
    # Issue 2's page: what a front-end shows. The cost limit must let it run, at both page sizes.
    response = await client.post(
        "/graphql", json={"query": PAGE, "variables": {"source": f"page-{uuid.uuid4().hex}", "first": first}}
    )
    assert response.status_code == 200, response.text[:300]
    body = response.json()
    assert "errors" not in body, body["errors"]
    assert body["data"]["articles"]["pageInfo"]["hasNextPage"] is False
    assert field_calls


def test_cost_counts_objects_and_page_info_once(settings: Settings) -> None:
    schema = build_schema(settings)._schema
    limits = limits_for(settings)
    query = "{ articles(first: 20) { edges { node { id tickers { symbol } } } pageInfo { hasNextPage } } }"
    # 1 (connection) + 20 x (edge + node + 10 tickers) + 1 (pageInfo): see schema.limits.
    errors = check_document(schema, parse(query), limits=replace(limits, max_cost=241))
    assert [(e.extensions or {}).get("value") for e in errors] == [242]
    assert check_document(schema, parse(query), limits=replace(limits, max_cost=242)) == []
    page = check_document(schema, parse(PAGE), limits=replace(limits, max_cost=1), variables={"first": 50})
    assert [(e.extensions or {}).get("value") for e in page] == [7652]
    # The figure the schema description quotes (schema.app.LIMITS_DESCRIPTION).
    page = check_document(schema, parse(PAGE), limits=replace(limits, max_cost=1), variables={"first": 100})
    assert [(e.extensions or {}).get("value") for e in page] == [15302]
