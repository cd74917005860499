"""The compiled read path answers exactly as strawberry does, or steps aside.

Every document runs twice on the same rows: through ``CompiledQueries`` (one SQL statement, JSON built
by Postgres) and through the schema's normal execution, rendered as the view renders it; the bytes must
be equal. Documents the compiler does not cover, and requests whose arguments or data make an error,
must not be compiled, and over HTTP they keep today's errors.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from core.settings import Settings
from db.pool import init_connection
from schema.app import build_schema
from schema.compiled import CompiledQueries
from schema.loaders import make_context
from schema.view import graphql_routes
from services.deps import Deps
from services.ingest import ingest_articles
from tests.schema.conftest import article_in, gql, ingest_scored, unique_source

ALL_ARTICLE = """
  __typename id source externalId url title summary body authors publishedAt language status
  sentiment { __typename score label confidence model scoredAt }
  tickers { __typename symbol name explicit relevance
            sentiment { __typename score label confidence model }
            highlights { __typename text section start end score } }
"""
BENCH_FIELDS = (
    "id title publishedAt sentiment { score label } tickers { symbol relevance sentiment { score label } }"
)
PAGE_INFO = "pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }"


@dataclass(frozen=True, slots=True)
class Data:
    source: str
    ids: list[int]  # newest last
    pending_id: int
    bare_id: int  # no tickers at all


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def data(gql_deps: Deps, pool: asyncpg.Pool) -> Data:
    """Scored articles, one pending (ticker without sentiment), one without tickers, odd values."""
    source = unique_source("gql-compiled")
    scored = await ingest_scored(gql_deps, pool, source, 6)
    base = datetime(2026, 3, 1, 12, tzinfo=UTC)
    extra = await ingest_articles(
        gql_deps,
        articles=[
            article_in(
                source,
                20,
                tickers=["NVDA"],
                title='Quotes " and \\ backslash, unicode é ✓ </script>',
                summary="A summary",
                url="https://example.com/compiled/20",
                authors=["Ann Example", "Bob O'Hara"],
                published_at=base + timedelta(days=3, microseconds=123456),
            ),
            article_in(source, 21, published_at=base + timedelta(days=4, seconds=1, microseconds=5)),
        ],
    )
    pending_id, bare_id = (r.article.id for r in extra)
    ids = scored.article_ids
    async with pool.acquire() as conn:
        # Scores that exercise float rendering: real rounding, integral values, negatives, tiny ones.
        values = [
            (0.123456789, -0.5),
            (-1.0, 1.0),
            (0.0, 0.99999997),
            (0.99999, 0.0001234),
            (0.00001234, -0.0000032),
            (-0.0001, 0.00009999999),
        ]
        for article_id, (score, relevance) in zip(ids, values, strict=False):
            await conn.execute(
                "update articles set sentiment_score = $2, sentiment_confidence = $3 where id = $1",
                article_id,
                score,
                abs(relevance),
            )
            await conn.execute(
                "update article_tickers set relevance = $2, score = $3"
                " where article_id = $1 and symbol = 'AAPL'",
                article_id,
                abs(relevance),
                relevance,
            )
        await conn.execute(
            """update article_tickers set highlights = $2 where article_id = $1 and symbol = 'LUMN'""",
            ids[1],
            [
                {"text": "first", "section": "title", "start": 0, "end": 5, "score": 1},
                {"text": "no section", "start": 7, "end": 17, "score": -0.25},
                {"text": "precise", "section": "body", "start": 20, "end": 27, "score": 0.123456789012},
                {"text": "tiny", "start": 1, "end": 2, "score": 1.5e-5},
                {"text": "tinier", "start": 1, "end": 2, "score": -2.5e-7},
                {"text": "large", "start": 1, "end": 2, "score": 123456.5},
                {"text": "zero", "start": 1, "end": 2, "score": 0.0},
            ],
        )
        # Same instant for two articles: the keyset order falls back to the id.
        await conn.execute(
            "update articles set published_at = $2 where id = $1", ids[3], base + timedelta(hours=2)
        )
        await conn.execute(
            "update article_tickers set published_at = $2 where article_id = $1",
            ids[3],
            base + timedelta(hours=2),
        )
        await conn.execute("update articles set status = 'failed' where id = $1", ids[5])
        # Written around ingest's checks: control characters must be escaped the same way too.
        await conn.execute(
            "update articles set body = $2 where id = $1", pending_id, "tab\t newline\n bell\x07 \x1f end"
        )
    return Data(source=source, ids=ids, pending_id=pending_id, bare_id=bare_id)


@pytest.fixture(scope="module")
def schema(settings: Settings) -> Any:
    return build_schema(settings)


@pytest.fixture(scope="module")
def compiled(schema: Any) -> CompiledQueries:
    return CompiledQueries(schema)


async def _strawberry(schema: Any, deps: Deps, query: str, variables: dict[str, Any] | None) -> bytes:
    """What the view sends for this request without the compiled path."""
    result = await schema.execute(query, variable_values=variables, context_value=make_context(deps))
    assert not result.errors, result.errors
    return orjson.dumps({"data": result.data})


async def _both(
    schema: Any, compiled: CompiledQueries, deps: Deps, query: str, variables: dict[str, Any] | None = None
) -> bytes:
    assert compiled.plan(query, None) is not None, "the compiler should take this document"
    fast = await compiled.execute(deps, query, variables, None)
    slow = await _strawberry(schema, deps, query, variables)
    assert fast is not None, f"the compiled path declined {query} {variables}"
    assert orjson.loads(fast) == orjson.loads(slow), query
    assert fast == slow, query
    return fast


def _documents(d: Data) -> list[tuple[str, dict[str, Any] | None]]:
    s = {"sources": [d.source]}
    one = str(d.ids[1])
    return [
        # The three benchmark queries.
        (f"{{ articles(first: 20) {{ edges {{ node {{ {BENCH_FIELDS} }} }} }} }}", None),
        (f"query($id: ID!) {{ article(id: $id) {{ {BENCH_FIELDS} }} }}", {"id": one}),
        (
            "query($t: [String!], $from: DateTime, $to: DateTime) {"
            " articles(first: 50, filter: {tickersAny: $t, from: $from, to: $to})"
            f" {{ edges {{ node {{ {BENCH_FIELDS} }} }} }} }}",
            {"t": ["LUMN"], "from": "2026-03-01T00:00:00Z", "to": "2026-03-10T00:00:00+00:00"},
        ),
        # Every field, one article of each kind.
        *[
            (f"query($id: ID!) {{ article(id: $id) {{ {ALL_ARTICLE} }} }}", {"id": str(i)})
            for i in (*d.ids, d.pending_id, d.bare_id)
        ],
        (
            f"query($f: ArticleFilter) {{ articles(filter: $f, first: 100) {{ __typename"
            f" edges {{ __typename cursor node {{ {ALL_ARTICLE} }} }} {PAGE_INFO} }} }}",
            {"f": s},
        ),
        # Subsets, aliases, __typename, several roots.
        ("query($f: ArticleFilter) { articles(filter: $f) { edges { cursor } } }", {"f": s}),
        ("query($f: ArticleFilter) { articles(filter: $f, first: 3) { " + PAGE_INFO + " } }", {"f": s}),
        ("query($f: ArticleFilter) { articles(filter: $f) { __typename } }", {"f": s}),
        ("query($f: ArticleFilter) { articles(filter: $f) { edges { node { __type: title } } } }", {"f": s}),
        (
            "query($f: ArticleFilter, $id: ID!) { __typename first: articles(filter: $f, first: 2) {"
            " list: edges { at: cursor item: node { key: id t: title when: publishedAt ticks: tickers {"
            " s: symbol r: relevance } } } info: pageInfo { more: hasNextPage } }"
            " second: articles(filter: $f, first: 1, orderBy: PUBLISHED_ASC) { edges { node { id } } }"
            " one: article(id: $id) { id status } again: article(id: $id) { title id } }",
            {"f": s, "id": one},
        ),
        (f'{{ article(id: "{one}") {{ sentiment {{ label }} tickers {{ sentiment {{ model }} }} }} }}', None),
        # Fragments: named, inline, nested, on the connection, merged selections.
        (
            "query($f: ArticleFilter) { articles(filter: $f) { ...Page } }"
            " fragment Page on ArticleConnection { edges { node { ...A ... on Article { title } } } }"
            " fragment A on Article { id tickers { symbol } ...T }"
            " fragment T on Article { tickers { relevance sentiment { score } } id }",
            {"f": s},
        ),
        (
            f'{{ article(id: "{one}") {{ ... {{ id }} tickers {{ symbol }} tickers {{ name symbol }}'
            " sentiment { score } sentiment { label score } } }",
            None,
        ),
        # Variables for every argument, defaults in the document, an operation name.
        (
            "query Page($f: ArticleFilter, $o: ArticleOrder!, $n: Int = 4) {"
            " articles(filter: $f, orderBy: $o, first: $n) { edges { cursor node { id publishedAt } } } }",
            {"f": s, "o": "PUBLISHED_ASC"},
        ),
        ("query($n: Int!) { articles(first: $n) { edges { node { id title } } } }", {"n": 7}),
        # Filters.
        *[
            (
                "query($f: ArticleFilter) { articles(filter: $f, first: 100) { edges { node { id status"
                " sentiment { score } tickers { symbol } } } " + PAGE_INFO + " } }",
                {"f": {**s, **extra}},
            )
            for extra in (
                {"tickersAny": ["LUMN"]},
                {"tickersAny": ["lumn", "NVDA"]},
                {"tickersAll": ["LUMN", "AAPL"]},
                {"tickersAny": ["NVDA"], "tickersAll": ["NVDA"]},
                {"from": "2026-03-01T13:00:00Z", "to": "2026-03-01T16:00:00Z"},
                {"from": "2026-03-01T13:00:00+02:00"},
                {"scoreMin": -0.5, "scoreMax": 0.7},
                {"labels": ["moderately positive"]},
                {"status": "PENDING"},
                {"status": "FAILED"},
                {"eventTypes": ["acquisition"]},
                {"search": "Alkira"},
                {"tickersAny": ["MSFT"]},
            )
        ],
        (
            '{ articles(first: 5, filter: {tickersAny: ["LUMN"], status: SCORED}, orderBy: PUBLISHED_ASC)'
            " { edges { node { id } } } }",
            None,
        ),
    ]


async def test_compiled_equals_strawberry(
    schema: Any, compiled: CompiledQueries, gql_deps: Deps, data: Data
) -> None:
    for query, variables in _documents(data):
        await _both(schema, compiled, gql_deps, query, variables)
    # The odd numbers above really went through: orjson's spellings, not Postgres' own.
    tiny = (
        f'{{ article(id: "{data.ids[4]}") {{ sentiment {{ score }}'
        " tickers { relevance sentiment { score } } } }"
    )
    body = await _both(schema, compiled, gql_deps, tiny)
    assert b'"score":0.00001234' in body and b'"score":-3.2e-6' in body and b'"relevance":3.2e-6' in body
    highlights = f'{{ article(id: "{data.ids[1]}") {{ tickers {{ highlights {{ score }} }} }} }}'
    body = await _both(schema, compiled, gql_deps, highlights)
    assert b'"score":1.0' in body and b'"score":0.000015' in body and b'"score":-2.5e-7' in body


@pytest.mark.parametrize("order", ["PUBLISHED_DESC", "PUBLISHED_ASC"])
@pytest.mark.parametrize("tickers", [None, ["LUMN"], ["LUMN", "AAPL"]])
async def test_pages_follow_cursors(
    schema: Any, compiled: CompiledQueries, gql_deps: Deps, data: Data, order: str, tickers: list[str] | None
) -> None:
    query = (
        "query($f: ArticleFilter, $o: ArticleOrder!, $after: String) {"
        " articles(filter: $f, orderBy: $o, first: 2, after: $after) {"
        " edges { cursor node { id publishedAt } } " + PAGE_INFO + " } }"
    )
    filter_: dict[str, Any] = {"sources": [data.source]}
    if tickers:
        filter_["tickersAny"] = tickers
    after: str | None = None
    seen: list[str] = []
    for _ in range(10):
        variables = {"f": filter_, "o": order, "after": after}
        page = orjson.loads(await _both(schema, compiled, gql_deps, query, variables))["data"]["articles"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) >= 2
    # An empty cursor is no cursor for the keyset, but the page still says it was asked with one.
    await _both(schema, compiled, gql_deps, query, {"f": filter_, "o": order, "after": ""})


DECLINED_DOCUMENTS = [
    # Fields the compiler does not render.
    "{ articles { edges { node { id events { type } } } } }",
    "{ articles { edges { node { tickers { ticker { symbol } } } } } }",
    "{ sentimentScale { label } }",
    "{ articles { edges { node { id } } } sentimentScale { label } }",
    "{ events { edges { node { id } } } }",
    "{ __schema { types { name } } }",
    # Directives, mutations, documents that do not parse or validate, limits.
    "query($y: Boolean!) { articles { edges { node { id @include(if: $y) } } } }",
    'mutation { ingestArticle(input: {source: "x", title: "t", body: "b"}) { __typename } }',
    "{ articles { edges { node { id } }",
    "{ articles { edges { node { nope } } } }",
    "{ articles(first: 0) { edges { node { id } } } }",
    "{ articles(first: 101) { edges { node { id } } } }",
    "query A { articles { edges { cursor } } } query B { articles { edges { cursor } } }",
]


@pytest.mark.parametrize("query", DECLINED_DOCUMENTS)
def test_documents_outside_the_compiler_are_declined(compiled: CompiledQueries, query: str) -> None:
    assert compiled.plan(query, None) is None


def test_operation_name_picks_the_operation(compiled: CompiledQueries) -> None:
    query = "query A { articles { edges { cursor } } } mutation B { ingestArticle { __typename } }"
    assert compiled.plan(query, "A") is None  # the document does not validate as a whole
    two = "query A { articles { edges { cursor } } } query B { sentimentScale { label } }"
    assert compiled.plan(two, "A") is not None
    assert compiled.plan(two, "B") is None
    assert compiled.plan(two, "C") is None


ERRORS = [
    ('{ article(id: "999999999999") { id } }', None, "not_found"),
    ('{ article(id: "abc") { id } }', None, "invalid_input"),
    ('{ articles(after: "not-a-cursor") { edges { cursor } } }', None, "invalid_cursor"),
    ("query($n: Int!) { articles(first: $n) { edges { cursor } } }", {"n": 500}, "out_of_range"),
    ("query($n: Int!) { articles(first: $n) { edges { cursor } } }", {"n": "x"}, "invalid_variables"),
    ("query($n: Int!) { articles(first: $n) { edges { cursor } } }", None, "invalid_variables"),
    ('{ articles(filter: {labels: ["nope"]}) { edges { cursor } } }', None, "invalid_input"),
    ('{ articles(filter: {tickersAny: ["$$$"]}) { edges { cursor } } }', None, "invalid_input"),
    ('{ articles(filter: {from: "2026-01-01T00:00:00"}) { edges { cursor } } }', None, "invalid_input"),
    ("{ articles(filter: {scoreMin: 5}) { edges { cursor } } }", None, "out_of_range"),
    ('{ articles(filter: {eventTypes: ["nope"]}) { edges { cursor } } }', None, "invalid_input"),
    (
        "query($f: ArticleFilter) { articles(filter: $f) { edges { cursor } } }",
        {"f": {"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}},
        "invalid_input",
    ),
]


@pytest.mark.parametrize(("query", "variables", "code"), ERRORS)
async def test_errors_fall_back_to_strawberry(
    client: httpx.AsyncClient,
    compiled: CompiledQueries,
    gql_deps: Deps,
    query: str,
    variables: dict[str, Any] | None,
    code: str,
) -> None:
    assert compiled.plan(query, None) is not None
    assert await compiled.execute(gql_deps, query, variables, None) is None
    body = await gql(client, query, variables)
    assert body["errors"][0]["extensions"]["code"] == code, body


async def test_view_serves_compiled_bytes(
    client: httpx.AsyncClient, schema: Any, gql_deps: Deps, data: Data
) -> None:
    query = f"query($id: ID!) {{ article(id: $id) {{ {ALL_ARTICLE} }} }}"
    variables = {"id": str(data.ids[1])}
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == await _strawberry(schema, gql_deps, query, variables)


class _Statements:
    def __init__(self) -> None:
        self.texts: list[str] = []
        self.reset_query = ""

    def __call__(self, record: Any) -> None:
        if record.query != self.reset_query:  # the pool's housekeeping on release, not ours
            self.texts.append(record.query)


@contextlib.asynccontextmanager
async def _counting_client(
    settings: Settings, dsn: str
) -> AsyncIterator[tuple[httpx.AsyncClient, _Statements]]:
    statements = _Statements()

    async def init(conn: asyncpg.Connection) -> None:
        await init_connection(conn)
        statements.reset_query = conn.get_reset_query()
        conn.add_query_logger(statements)

    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1, init=init)
    assert pool is not None
    app = Starlette(routes=graphql_routes(settings))

    async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
        scope["state"] = {"deps": Deps(settings=settings, pool=pool)}
        await app(scope, receive, send)

    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=with_state), base_url="http://t") as c:
            yield c, statements
    finally:
        await pool.close()


async def test_q1_is_one_statement(settings: Settings, database_url: str, data: Data) -> None:
    q1 = f"{{ articles(first: 20) {{ edges {{ node {{ {BENCH_FIELDS} }} }} }} }}"
    async with _counting_client(settings, database_url) as (client, statements):
        response = await client.post("/graphql", json={"query": q1})
        assert response.status_code == 200 and b'"errors"' not in response.content
        assert len(statements.texts) == 1, statements.texts
        assert statements.texts[0].lstrip().lower().startswith("select")
        # The same document with a field the compiler leaves to strawberry: page, then tickers.
        statements.texts.clear()
        slow = q1.replace("tickers {", "events { type } tickers {")
        response = await client.post("/graphql", json={"query": slow})
        assert response.status_code == 200 and b'"errors"' not in response.content
        assert len(statements.texts) >= 2
