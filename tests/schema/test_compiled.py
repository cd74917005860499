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
from tests.schema.conftest import MODEL, article_in, gql, ingest_scored, unique_source

ALL_EVENT = """
  __typename id type symbol entity attributes
  evidence { __typename text section start end score } confidence model publishedAt
"""
ALL_ARTICLE = f"""
  __typename id source externalId url title summary body authors publishedAt language status
  sentiment {{ __typename score label confidence model scoredAt }}
  tickers {{ __typename symbol name explicit relevance
            sentiment {{ __typename score label confidence model }}
            highlights {{ __typename text section start end score }}
            ticker {{ __typename symbol name exchange sector industry aliases }} }}
  events {{ {ALL_EVENT} }}
"""
BENCH_FIELDS = (
    "id title publishedAt sentiment { score label } tickers { symbol relevance sentiment { score label } }"
)
# The front-end page with events next to sentiment and tickers (measured before and after compiling events).
EVENTS_FIELDS = "id title sentiment { score label } tickers { symbol } events { type symbol confidence }"
EVENTS_PAGE = f"{{ articles(first: 20) {{ edges {{ node {{ {EVENTS_FIELDS} }} }} }} }}"
_EVENT = (
    "insert into events (article_id, model, ordinal, type, symbol, entity, attributes, evidence, confidence,"
    " published_at) select id, $2, $3, $4, $5, $6, $7, $8, $9, published_at + $10 from articles where id = $1"
)
PAGE_INFO = "pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }"


@dataclass(frozen=True, slots=True)
class Data:
    source: str
    ids: list[int]  # newest last
    pending_id: int
    bare_id: int  # no tickers at all
    events_id: int  # several events of every shape, and one of an older model


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
        # Events beside the acquisition (ordinal 0) every scored article has: listed by ordinal, not id;
        # attributes of every scalar type in jsonb's key order; evidence absent, JSON null, not an
        # object, without a section; an older model's event and a pending article's are not listed.
        attributes = {"consideration": "cash", "b": 1, "a": 2, "amount": 475_000_000, "ratio": 0.25}
        attributes |= {"actual": -0.47, "whole": 3.0, "big": -99_999_999_999_999_999, "beat": True}
        attributes |= {"final": False, "note": None, "target": 'Quotes " \\ é ✓ </script>\t'}
        no_section = {"text": "no section", "start": 7, "end": 17, "score": -0.25}
        hour = timedelta(hours=1)
        await conn.executemany(
            _EVENT,
            [
                (ids[0], MODEL, 3, "earnings", None, None, {}, None, 0.33333334, hour),
                (ids[0], MODEL, 1, "merger", "AAPL", 'Zoë "Q"', attributes, no_section, 1e-5, hour * 2),
                (ids[0], MODEL, 2, "guidance", "LUMN", None, {"q": "Q1"}, "not an object", 1.0, -hour),
                (ids[0], MODEL, 4, "legal", None, "x", {"small": 0.0001234}, None, 0.0, timedelta(0)),
                (ids[0], "older-model", 5, "layoffs", None, None, {"old": 1}, None, 0.5, timedelta(0)),
                (pending_id, MODEL, 0, "dividend", None, None, {}, None, 0.5, timedelta(0)),
            ],
        )
        await conn.execute(
            "update events set evidence = 'null'::jsonb where article_id = $1 and ordinal = 4", ids[0]
        )
    return Data(source=source, ids=ids, pending_id=pending_id, bare_id=bare_id, events_id=ids[0])


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
    events = str(d.events_id)
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
        # Events and reference tickers: pages, subsets, aliases, __typename, fragments, variables.
        (
            "query($f: ArticleFilter) { articles(first: 20, filter: $f)"
            f" {{ edges {{ node {{ {EVENTS_FIELDS} }} }} }} }}",
            {"f": s},
        ),
        (
            "query($f: ArticleFilter, $n: Int) { articles(filter: $f, first: $n) { edges { node {"
            f" id events {{ {ALL_EVENT} }} }} }} }} }}",
            {"f": s, "n": 100},
        ),
        (
            "query($id: ID!) { article(id: $id) { kind: __typename happenings: events { what: type"
            " t: __typename about: symbol who: entity facts: attributes why: evidence { quote: text"
            " where: section t: __typename } sure: confidence at: publishedAt by: model key: id } } }",
            {"id": events},
        ),
        (
            "query($id: ID!) { article(id: $id) { ...E events { evidence { start end } } } }"
            " fragment E on Article { events { ...Ev ... on Event { type } evidence { score } } }"
            " fragment Ev on Event { id symbol attributes }",
            {"id": events},
        ),
        (
            "query($f: ArticleFilter) { articles(filter: $f, first: 100) { edges { node { ... on Article {"
            " events { __typename } } events { type } } } } }",
            {"f": s},
        ),
        *[
            ("query($id: ID!) { article(id: $id) { id events { type attributes } } }", {"id": str(i)})
            for i in (d.pending_id, d.bare_id)
        ],
        (
            "query($f: ArticleFilter) { articles(filter: $f, first: 100) { edges { node { tickers {"
            " symbol ticker { symbol aliases } ticker { name exchange sector industry __typename } } } } } }",
            {"f": s},
        ),
        (
            f'{{ a: article(id: "{events}") {{ events {{ type }} }} b: article(id: "{one}") {{'
            " tickers { t: ticker { s: symbol } } events { id } } }",
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
    # Events in ordinal order (not id order), the current model's only; attributes in jsonb's key order.
    events = (
        f'{{ article(id: "{data.events_id}") {{ events {{ type attributes evidence {{ section }}'
        " confidence } } }"
    )
    body = await _both(schema, compiled, gql_deps, events)
    listed = orjson.loads(body)["data"]["article"]["events"]
    assert [e["type"] for e in listed] == ["acquisition", "merger", "guidance", "earnings", "legal"]
    assert [e["evidence"] for e in listed[2:]] == [None, None, None]
    assert (
        b'"attributes":{"a":2,"b":1,"big":-99999999999999999,"beat":true,' in body
        and b'"confidence":0.00001}' in body
    )


@dataclass(frozen=True, slots=True)
class Odd:
    """Articles whose events or reference ticker only strawberry can answer, and what they hold."""

    ids: dict[str, int]
    source: str


# Rows the SQL must not spell: nested or long-spelled or huge attribute values, attributes that are not an
# object, evidence strawberry serializes otherwise or refuses, a reference ticker with a null alias.
ODD_EVENTS: dict[str, tuple[str, str | None]] = {
    "nested": ('{"range": [1.9, 2.1]}', None),
    "long_spelling": ('{"x": 0.50}', None),
    "tiny": ('{"x": 0.00001234}', None),
    "huge": ('{"huge": 123456789012345678901234}', None),
    "string_start": ("{}", '{"text": "t", "start": "5", "end": 6, "score": 1}'),
    "not_an_object": ("[1, 2]", None),
    "no_text": ("{}", '{"start": 0, "end": 1, "score": 1}'),
    "null_section": ("{}", '{"text": "t", "section": null, "start": 0, "end": 1, "score": 1}'),
}
# Strawberry answers these with errors (the first and the last whatever the selection of the events).
ODD_ERRORS = frozenset({"not_an_object", "no_text", "null_section", "ticker"})
ODD_TICKER = "ZQODD"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def odd(gql_deps: Deps, pool: asyncpg.Pool) -> AsyncIterator[Odd]:
    source = unique_source("gql-compiled-odd")
    cases = [*ODD_EVENTS, "ticker"]
    # Long ago, so pages of the newest articles (other tests') never meet them; deleted at the end.
    old = datetime(2001, 1, 1, tzinfo=UTC)
    results = await ingest_articles(
        gql_deps,
        articles=[article_in(source, n, published_at=old + timedelta(hours=n)) for n in range(len(cases))],
    )
    ids = {case: r.article.id for case, r in zip(cases, results, strict=True)}
    async with pool.acquire() as conn:
        await conn.execute(
            "update articles set status = 'scored', sentiment_score = 0.5, sentiment_label = 'neutral',"
            " sentiment_model = $2"
            " where id = any($1::bigint[])",
            list(ids.values()),
            MODEL,
        )
        for case, (attributes, evidence) in ODD_EVENTS.items():
            await conn.execute(
                "insert into events (article_id, model, ordinal, type, attributes, evidence, confidence,"
                " published_at) values ($1, $2, 0, 'earnings', $3::text::jsonb, $4::text::jsonb, 0.5, now())",
                ids[case],
                MODEL,
                attributes,
                evidence,
            )
        await conn.execute(
            "insert into tickers (symbol, name, aliases) values ($1, 'Odd', '{odd, NULL}')"
            " on conflict (symbol) do update set aliases = excluded.aliases",
            ODD_TICKER,
        )
        await conn.execute(
            "insert into article_tickers (article_id, symbol, published_at) values ($1, $2, now())",
            ids["ticker"],
            ODD_TICKER,
        )
    yield Odd(ids=ids, source=source)
    async with pool.acquire() as conn:
        await conn.execute("delete from articles where id = any($1::bigint[])", list(ids.values()))
        await conn.execute("delete from tickers where symbol = $1", ODD_TICKER)
        await conn.execute("delete from sources where name = $1", source)


ODD_FIELDS = "id events { attributes evidence { section start } } tickers { ticker { aliases } }"
ODD_DOCUMENT = f"query($id: ID!) {{ article(id: $id) {{ {ODD_FIELDS} }} }}"
ODD_PAGE = f"query($f: ArticleFilter) {{ articles(filter: $f) {{ edges {{ node {{ {ODD_FIELDS} }} }} }} }}"


@pytest.mark.parametrize("case", [*ODD_EVENTS, "ticker"])
async def test_odd_rows_fall_back_to_strawberry(
    client: httpx.AsyncClient, schema: Any, compiled: CompiledQueries, gql_deps: Deps, odd: Odd, case: str
) -> None:
    variables = {"id": str(odd.ids[case])}
    assert compiled.plan(ODD_DOCUMENT, None) is not None
    assert await compiled.execute(gql_deps, ODD_DOCUMENT, variables, None) is None
    response = await client.post("/graphql", json={"query": ODD_DOCUMENT, "variables": variables})
    if case in ODD_ERRORS:
        assert b'"errors"' in response.content, response.content
    else:
        assert response.content == await _strawberry(schema, gql_deps, ODD_DOCUMENT, variables)
    # One odd row voids a whole page; a selection that does not read the odd part is still compiled.
    assert await compiled.execute(gql_deps, ODD_PAGE, {"f": {"sources": [odd.source]}}, None) is None
    types = "query($id: ID!) { article(id: $id) { id events { type } } }"
    if case in ("not_an_object", "no_text"):  # db.events cannot read the row at all
        assert await compiled.execute(gql_deps, types, variables, None) is None
    else:
        await _both(schema, compiled, gql_deps, types, variables)


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
    "{ articles { edges { node { id events { type article { id } } } } } }",
    "{ articles { edges { node { tickers { ticker { symbol articles { edges { cursor } } } } } } } }",
    "{ articles { edges { node { tickers { ticker { sentimentSeries { score } } } } } } }",
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
        # With events and reference tickers it is still one statement (this module's articles: the odd
        # ones of test_odd_rows_fall_back_to_strawberry are not).
        statements.texts.clear()
        query = (
            "query($f: ArticleFilter) { articles(filter: $f) { edges { node {"
            f" {EVENTS_FIELDS} tickers {{ ticker {{ name }} }} }} }} }} }}"
        )
        variables = {"f": {"sources": [data.source]}}
        response = await client.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200 and b'"errors"' not in response.content
        assert b'"events":[{"type":"acquisition"' in response.content
        assert len(statements.texts) == 1, statements.texts
        # The same document with a field the compiler leaves to strawberry: page, tickers, events.
        statements.texts.clear()
        slow = query.replace("events {", "events { article { id }")
        response = await client.post("/graphql", json={"query": slow, "variables": variables})
        assert response.status_code == 200 and b'"errors"' not in response.content
        assert len(statements.texts) >= 2
