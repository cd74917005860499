"""``FastExecutionContext`` gives exactly what graphql-core's own execution gives: data, errors, paths.

Each query runs twice on the same data, once with the schema's execution context and once with
strawberry's default, and the results must be equal; a counter shows the fast one really skipped
graphql-core's ``execute_field`` for plain attributes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from graphql.execution.executor import Executor
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from core.settings import Settings
from schema.app import Mutation, Query
from schema.errors import AppSchema, ErrorCodes
from schema.execution import FastExecutionContext
from schema.loaders import make_context
from services.deps import Deps
from services.ingest import ingest_articles
from tests.schema.conftest import Scored, article_in, ingest_scored, unique_source

FIELDS = """
  id title publishedAt status authors
  sentiment { score label confidence model scoredAt }
  alias: title
  ... on Article { __typename source }
  tickers { symbol relevance explicit sentiment { score label } highlights { text start end } }
  events { type attributes evidence { text } }
"""

QUERIES = {
    "page": """query($s: String!, $n: Int!) { articles(filter: {sources: [$s]}, first: $n) {
        edges { cursor node { ...F } } pageInfo { hasNextPage endCursor } } }
        fragment F on Article { """
    + FIELDS
    + " }",
    "one": "query($id: ID!) { article(id: $id) { " + FIELDS + " } }",
    "directives": """query($id: ID!, $yes: Boolean!) { article(id: $id) {
        id title @include(if: $yes) sentiment @skip(if: $yes) { score } s2: sentiment { label } } }""",
    "missing": '{ article(id: "999999999") { id title } }',
    "pending": "query($s: String!) { articles(filter: {sources: [$s], status: PENDING}) { edges { node {"
    " id status sentiment { score } tickers { sentiment { score } } } } } }",
    "scale": "{ sentimentScale { label min max minInclusive polarity } }",
}


@pytest_asyncio.fixture(scope="module")
async def data(gql_deps: Deps, pool: asyncpg.Pool) -> Scored:
    deps = gql_deps
    source = unique_source("gql-exec")
    scored = await ingest_scored(deps, pool, source, 3)
    # An unscored article: null sentiment, tickers without sentiment.
    await ingest_articles(deps, articles=[article_in(source, 10, tickers=["LUMN"])])
    return scored


def _schema(context_class: type[StrawberryGraphQLCoreExecutionContext]) -> AppSchema:
    return AppSchema(
        query=Query, mutation=Mutation, extensions=[ErrorCodes], execution_context_class=context_class
    )


async def _run(schema: AppSchema, deps: Deps, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    result = await schema.execute(query, variable_values=variables, context_value=make_context(deps))
    errors = [(e.message, e.path, e.extensions) for e in result.errors or ()]
    return {"data": result.data, "errors": errors}


@pytest.mark.parametrize("name", list(QUERIES))
async def test_same_results_as_graphql_core(
    settings: Settings, deps: Deps, data: Scored, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    variables: dict[str, Any] = {"s": data.source, "n": 10, "id": str(data.article_ids[0]), "yes": True}
    calls: list[int] = []
    original: Callable[..., Any] = Executor.execute_field

    def counting(self: Executor[Any], *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Executor, "execute_field", counting)
    expected = await _run(_schema(StrawberryGraphQLCoreExecutionContext), deps, QUERIES[name], variables)
    slow_calls = len(calls)
    calls.clear()
    got = await _run(_schema(FastExecutionContext), deps, QUERIES[name], variables)
    assert got == expected
    assert expected["data"] is not None or expected["errors"]
    if name in ("page", "one"):
        assert expected["data"] and not expected["errors"]
        assert len(calls) < slow_calls / 3, (len(calls), slow_calls)
    if name == "missing":
        assert [e[2]["code"] for e in got["errors"]] == ["not_found"]
