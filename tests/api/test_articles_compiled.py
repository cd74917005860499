"""REST article reads rendered by Postgres answer exactly as the Python rendering does, or step aside.

Every request runs twice on the same rows: once as served (``services.articles.list_articles_json`` /
``get_article_json``, one SQL statement whose JSON is spliced into the response) and once with those
functions returning None, which is the fallback: ``api.representations`` over the dataclasses. Status,
headers and body bytes must be equal. Rows the SQL cannot spell for certain make it return None.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
import pytest_asyncio
from starlette.applications import Starlette

import api.articles
from api.app import create_app
from core.records import ArticleIn
from core.settings import Settings
from services.deps import Deps, open_deps
from services.ingest import ingest_articles
from services.reads_cache import invalidate_all
from tests.api.conftest import serve

MODEL = "rest-compiled-model"
BASE = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
ODD_TEXT = (
    'Quote " backslash \\ slash / tab\t nl\n cr\r bell\x07 us\x1f del\x7f \u2028 \u2029 é ✓ 😀 </script>'
)


@dataclass(frozen=True, slots=True)
class Data:
    source: str  # every article of this source renders in SQL
    odd_source: str  # each article of this one makes the SQL step aside
    ids: list[int] = field(default_factory=list)  # of ``source``
    odd_ids: list[int] = field(default_factory=list)


def _article(source: str, n: int, **overrides: Any) -> ArticleIn:
    fields: dict[str, Any] = {
        "source": source,
        "external_id": f"{source}-{n}",
        "title": f"Lumen Technologies item {n}",
        "body": f"Lumen Technologies agreed to buy Alkira for $475 million in cash. Item {n}.",
        "published_at": BASE + timedelta(hours=n, microseconds=n * 1001),
    }
    fields.update(overrides)
    return ArticleIn.model_validate(fields)


async def _score(
    conn: asyncpg.Connection,
    article_id: int,
    *,
    score: float,
    label: str | None = "slightly positive",
    confidence: float | None = 0.9,
    model: str | None = MODEL,
) -> None:
    await conn.execute(
        "update articles set status = 'scored', sentiment_score = $2, sentiment_label = $3,"
        " sentiment_confidence = $4, sentiment_model = $5, scored_at = $6 where id = $1",
        article_id,
        score,
        label,
        confidence,
        model,
        BASE + timedelta(days=1, microseconds=article_id % 7),
    )


async def _link(conn: asyncpg.Connection, article_id: int, symbol: str, **columns: Any) -> None:
    """Link a ticker (as scoring does) with the given columns of ``article_tickers``."""
    names = "".join(f", {name}" for name in columns)
    values = "".join(f", ${i + 3}" for i in range(len(columns)))
    updates = ", ".join(f"{name} = excluded.{name}" for name in columns)
    await conn.execute(
        f"insert into article_tickers (article_id, symbol, published_at{names})"
        f" select id, $2, published_at{values} from articles where id = $1"
        f" on conflict (article_id, symbol) do update set {updates}",
        article_id,
        symbol,
        *columns.values(),
    )


async def _event(
    conn: asyncpg.Connection,
    article_id: int,
    ordinal: int,
    *,
    attributes: Any,
    evidence: Any,
    symbol: str | None = "LUMN",
    entity: str | None = "Alkira",
    model: str = MODEL,
    type: str = "acquisition",
) -> None:
    await conn.execute(
        "insert into events (article_id, model, ordinal, type, symbol, entity, attributes, evidence,"
        " confidence, published_at) select id, $2, $3, $4, $5, $6, $7, $8, 0.85, published_at"
        " from articles where id = $1",
        article_id,
        model,
        ordinal,
        type,
        symbol,
        entity,
        attributes,
        evidence,
    )


HIGHLIGHTS = [
    {"text": "first", "section": "title", "start": 0, "end": 5, "score": 1},
    {"text": "no section", "start": 7, "end": 17, "score": -0.25},
    {"text": "float one", "section": "body", "start": 20, "end": 27, "score": 1.0},
    {"text": ODD_TEXT, "section": "summary", "start": 1, "end": 2, "score": 0.123456789012},
    {"text": "tiny", "start": 1, "end": 2, "score": 0.0001},
    {"text": "zero", "start": 1, "end": 2, "score": 0.0, "extra": {"ignored": [1, 2]}},
    {"text": "string start", "section": None, "start": "5", "end": 6, "score": -1},
]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def data(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[Data]:
    source, odd_source = (f"rest-compiled-{uuid.uuid4().hex[:10]}" for _ in range(2))
    deps = Deps(settings=settings, pool=pool)
    results = await ingest_articles(
        deps,
        articles=[
            _article(source, 0, tickers=["LUMN", "AAPL"], url=f"https://n.example/{source}/0"),
            _article(source, 1, tickers=["MSFT"], authors=["Ann Example", "Bob O'Hara"]),
            _article(source, 2, language="en-GB"),  # odd text written below, around ingest's checks
            _article(source, 3, external_id=None, summary="", tickers=["NVDA"]),  # pending, linked
            _article(source, 4),  # pending, no tickers
            _article(source, 5, tickers=["BRK.B", "LUMN"]),
            _article(source, 6, summary="The same instant as 7."),
            _article(source, 7, published_at=BASE + timedelta(hours=6, microseconds=6006)),
            _article(source, 8, tickers=["AAPL"], published_at=BASE + timedelta(days=40)),
            _article(source, 9, title="Apple beats estimates", body="Apple beat estimates; shares jump."),
            _article(source, 10, tickers=["LUMN"], published_at=BASE - timedelta(days=3)),
            _article(source, 11, tickers=["MSFT", "NVDA", "AAPL"]),
        ],
    )
    odd = await ingest_articles(deps, articles=[_article(odd_source, n, tickers=["LUMN"]) for n in range(4)])
    ids = [r.article.id for r in results]
    odd_ids = [r.article.id for r in odd]
    async with pool.acquire() as conn:
        # Sentiment: boundary and awkward values (reals that print with many digits, tiny, integral).
        for article_id, value in zip(
            [ids[i] for i in (0, 1, 2, 5, 6, 7, 8, 9, 10, 11)],
            [0.1, -1.0, 1.0, 0.33333334, 0.0001, -0.0001234, 0.68, -0.4, 0.0, 0.75],
            strict=True,
        ):
            await _score(conn, article_id, score=value)
        await _score(conn, ids[6], score=0.00001234, label=None, confidence=None, model=None)  # nulls inside
        await _score(conn, ids[8], score=0.68, label="moderately positive", confidence=0.33333334)
        await _score(conn, ids[9], score=-0.4, label="moderately negative")
        await conn.execute(
            "update articles set title = $2, summary = $2, body = $2, authors = $3 where id = $1",
            ids[2],
            ODD_TEXT,
            [ODD_TEXT, "Zoë"],
        )
        await conn.execute("update articles set status = 'failed' where id = $1", ids[7])
        await conn.execute("update articles set authors = $2 where id = $1", ids[9], [None, "x"])
        await conn.execute("update articles set url = null, external_id = null where id = $1", ids[10])
        # Same published_at for 6 and 7: the keyset order falls back to the id.
        await conn.execute(
            "update articles set published_at = $2 where id = any($1::bigint[])",
            [ids[6], ids[7]],
            BASE + timedelta(hours=6, microseconds=6006),
        )
        await conn.execute(
            "update article_tickers set published_at = $2 where article_id = any($1::bigint[])",
            [ids[6], ids[7]],
            BASE + timedelta(hours=6, microseconds=6006),
        )
        # Tickers: every shape of sentiment and highlights, equal relevances (ordered by symbol).
        await _link(
            conn,
            ids[0],
            "LUMN",
            relevance=0.95,
            score=0.7,
            label="moderately positive",
            confidence=0.8,
            model=MODEL,
            highlights=HIGHLIGHTS,
        )
        await _link(conn, ids[0], "AAPL", relevance=0.95, score=-0.15, label="slightly negative")
        await _link(conn, ids[1], "MSFT", relevance=0.2, score=0.5, label=None, confidence=0.5)
        await _link(conn, ids[1], "NVDA", relevance=None, highlights={"not": "a list"})
        await _link(
            conn, ids[2], "LUMN", relevance=0.0001, score=1.0, label="strongly positive", highlights=[]
        )
        await _link(
            conn, ids[5], "BRK.B", relevance=1.0, score=-1.0, label="strongly negative", confidence=3.2e-6
        )
        await _link(conn, ids[11], "MSFT", relevance=0.33333334, score=0.1, label="neutral", confidence=0.1)
        await _link(conn, ids[11], "AAPL", relevance=0.33333334, highlights=HIGHLIGHTS[:2])
        # Events: attributes of every scalar type, evidence present, null, JSON null and not an object.
        attributes = {
            "acquirer": "LUMN",
            "target": ODD_TEXT,
            "amount": 475000000,
            "ratio": 0.25,
            "whole": 3.0,
            "negative": -12,
            "big": 18446744073709551,
            "private": True,
            "cash": False,
            "status": None,
        }
        await _event(conn, ids[0], 1, attributes=attributes, evidence=HIGHLIGHTS[0])
        await _event(conn, ids[0], 0, attributes={}, evidence=None, symbol=None, entity=None, type="merger")
        await _event(conn, ids[0], 2, attributes={"q": "Q1"}, evidence="not an object", type="earnings")
        await _event(conn, ids[0], 3, attributes={"old": 1}, evidence=HIGHLIGHTS[1], model="older-model")
        await _event(conn, ids[2], 0, attributes={"metric": "revenue", "actual": 2.9}, evidence=HIGHLIGHTS[3])
        await _event(conn, ids[0], 4, attributes={"b": 1, "a": 2, "aa": 3}, evidence=None, type="legal")
        await _event(conn, ids[8], 0, attributes={"a": 1}, evidence=HIGHLIGHTS[6], type="guidance")
        await conn.execute(
            "update events set evidence = 'null'::jsonb where article_id = $1 and ordinal = 4", ids[0]
        )
        # Odd rows the SQL refuses to spell (the Python path renders them, differently or not at all).
        for article_id in odd_ids:
            await _score(conn, article_id, score=0.5)
        await _link(conn, odd_ids[0], "LUMN", highlights=[{"text": "t", "start": 0, "end": 1, "score": 1e-7}])
        await conn.execute(  # a score spelled longer than its float: orjson would write 0.5
            'update article_tickers set highlights = \'[{"text": "t", "start": 0, "end": 1,'
            ' "score": 0.50}]\'::jsonb where article_id = $1',
            odd_ids[1],
        )
        await _event(conn, odd_ids[2], 0, attributes={"range": [1.9, 2.1]}, evidence=None)
        await _event(conn, odd_ids[3], 0, attributes={}, evidence=None)
        await conn.execute(  # past 64 bits: orjson reads a float
            "update events set attributes = '{\"huge\": 123456789012345678901234}'::jsonb"
            " where article_id = $1",
            odd_ids[3],
        )
    yield Data(source=source, odd_source=odd_source, ids=ids, odd_ids=odd_ids)
    # Some rows are off the contract on purpose: other modules' lists (the contract test's) must not see them.
    async with pool.acquire() as conn:
        await conn.execute("delete from articles where id = any($1::bigint[])", ids + odd_ids)
        await conn.execute("delete from sources where name = any($1::text[])", [source, odd_source])


@dataclass(slots=True)
class Paths:
    """The served client, and a switch that makes the SQL rendering answer None (the fallback)."""

    client: httpx.AsyncClient
    monkeypatch: pytest.MonkeyPatch
    compiled: list[bool] = field(default_factory=list)  # per served call: did SQL answer?
    forced_off: bool = False

    def wrap(self) -> None:
        for name in ("list_articles_json", "get_article_json"):
            original: Callable[..., Awaitable[Any]] = getattr(api.articles, name)

            async def wrapped(
                *args: Any, _original: Callable[..., Awaitable[Any]] = original, **kw: Any
            ) -> Any:
                if self.forced_off:
                    return None
                found = await _original(*args, **kw)
                self.compiled.append(found is not None)
                return found

            self.monkeypatch.setattr(api.articles, name, wrapped)

    async def both(self, url: str) -> tuple[httpx.Response, bool | None]:
        """The response as served, after checking the fallback answers the same; and whether SQL
        answered (None when the request never reached it)."""
        self.forced_off, before = False, len(self.compiled)
        served = await self.client.get(url)
        compiled = self.compiled[-1] if len(self.compiled) > before else None
        self.forced_off = True
        try:
            fallback = await self.client.get(url)
        finally:
            self.forced_off = False
        assert _comparable(served) == _comparable(fallback), url
        return served, compiled


_VARYING = frozenset({"x-ratelimit-remaining", "ratelimit-remaining", "ratelimit", "x-request-id", "date"})


def _comparable(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, "*" if k in _VARYING else v) for k, v in response.headers.multi_items()]
    return response.status_code, headers, response.content


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def uncached_client(
    settings: Settings, auth_headers: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    # No contract check here: some rows are off the contract on purpose (as hand-written SQL can make them).
    app: Starlette = create_app(settings.model_copy(update={"response_cache": False}))
    async with serve(app, headers=auth_headers) as c:
        yield c


@pytest.fixture
def paths(uncached_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> Paths:
    made = Paths(uncached_client, monkeypatch)
    made.wrap()
    return made


def _list_urls(source: str, data: Data) -> list[str]:
    s = f"source={source}"
    return [
        f"/v1/articles?{s}",
        f"/v1/articles?{s}&include_body=true",
        f"/v1/articles?{s}&include_body=false&limit=100",
        f"/v1/articles?{s}&limit=100&include_body=1",
        f"/v1/articles?{s}&order=published_asc",
        f"/v1/articles?{s}&order=published_desc&limit=5",
        f"/v1/articles?{s}&tickers=LUMN",
        f"/v1/articles?{s}&tickers=LUMN&order=published_asc&include_body=true",
        f"/v1/articles?{s}&tickers=LUMN,aapl",
        f"/v1/articles?{s}&tickers=LUMN&tickers=$MSFT",
        f"/v1/articles?{s}&tickers_all=LUMN&tickers_all=AAPL",
        f"/v1/articles?{s}&tickers=MSFT&tickers_all=NVDA",
        f"/v1/articles?{s}&from=2026-05-04T12:00:00Z",
        f"/v1/articles?{s}&to=2026-05-04T15:30:00%2B02:00",
        f"/v1/articles?{s}&from=2026-05-04T10:00:00Z&to=2026-05-04T16:00:00Z&tickers=LUMN",
        f"/v1/articles?{s}&score_min=0.1",
        f"/v1/articles?{s}&score_max=0&order=published_asc",
        f"/v1/articles?{s}&score_min=-1&score_max=1",
        f"/v1/articles?{s}&label=moderately%20positive",
        f"/v1/articles?{s}&label=moderately%20negative&label=slightly%20positive",
        f"/v1/articles?{s}&event_type=acquisition",
        f"/v1/articles?{s}&event_type=earnings,merger",
        f"/v1/articles?{s}&q=apple%20estimates",
        f"/v1/articles?{s}&q=%22Lumen%20Technologies%22%20-apple",
        f"/v1/articles?{s}&status=pending",
        f"/v1/articles?{s}&status=scored&order=published_asc",
        f"/v1/articles?{s}&status=failed",
        f"/v1/articles?source={data.source}&source={data.odd_source}&limit=100",
        f"/v1/articles?{s}&tickers=JPM",  # no such link: an empty page
        f"/v1/articles?{s}&cursor=",
        "/v1/articles?source=no-such-source",
    ]


INVALID = [
    "/v1/articles?limit=0",
    "/v1/articles?limit=101",
    "/v1/articles?limit=ten",
    "/v1/articles?cursor=not-a-cursor",
    "/v1/articles?order=newest",
    "/v1/articles?order=published_asc&order=published_desc",
    "/v1/articles?score_min=2",
    "/v1/articles?score_min=0.5&score_max=x",
    "/v1/articles?from=2026-05-05T00:00:00Z&to=2026-05-04T00:00:00Z",
    "/v1/articles?from=yesterday",
    "/v1/articles?label=ecstatic",
    "/v1/articles?status=lost",
    "/v1/articles?event_type=party",
    "/v1/articles?tickers=not%20a%20ticker",
    "/v1/articles?include_body=maybe",
    "/v1/articles?colour=red",
    "/v1/articles/abc",
    "/v1/articles/0",
    "/v1/articles/99999999999999999999",
    "/v1/articles/1?include_body=true",
]


async def _pages(paths: Paths, url: str) -> list[bool | None]:
    """Every page of ``url``, following ``next``; whether SQL answered each."""
    answered = []
    while True:
        response, compiled = await paths.both(url)
        assert response.status_code == 200, response.text
        answered.append(compiled)
        body = orjson.loads(response.content)
        if body["next"] is None:
            assert body["next_cursor"] is None and "link" not in response.headers
            return answered
        assert response.headers["link"] == f'<{body["next"]}>; rel="next"'
        url = body["next"].removeprefix("http://testserver")
        assert len(answered) < 20


async def test_lists_render_the_same_bytes_in_sql(paths: Paths, data: Data) -> None:
    for url in _list_urls(data.source, data):
        response, compiled = await paths.both(url)
        assert response.status_code == 200, (url, response.text)
        if "odd_source" not in url and data.odd_source not in url:
            assert compiled is True, url


async def test_pages_and_cursors_render_the_same_bytes_in_sql(paths: Paths, data: Data) -> None:
    s = f"source={data.source}"
    for url in (
        f"/v1/articles?{s}&limit=1",
        f"/v1/articles?{s}&limit=1&order=published_asc&include_body=true",
        f"/v1/articles?{s}&limit=3",
        f"/v1/articles?{s}&limit=2&tickers=LUMN",
        f"/v1/articles?{s}&limit=2&tickers=LUMN&order=published_asc",
        f"/v1/articles?{s}&limit=2&tickers=AAPL,MSFT&status=scored",
        f"/v1/articles?{s}&limit=4&score_min=-1",
    ):
        answered = await _pages(paths, url)
        assert answered and all(answered), url
    assert len(await _pages(paths, f"/v1/articles?{s}&limit=1")) == len(data.ids)


async def test_articles_render_the_same_bytes_in_sql(paths: Paths, data: Data) -> None:
    for article_id in data.ids:
        response, compiled = await paths.both(f"/v1/articles/{article_id}")
        assert response.status_code == 200 and compiled is True, article_id
    body = orjson.loads((await paths.both(f"/v1/articles/{data.ids[0]}"))[0].content)
    # The awkward shapes really are in the answer.
    assert [t["symbol"] for t in body["tickers"]] == ["AAPL", "LUMN"]
    assert [e["type"] for e in body["events"]] == ["merger", "acquisition", "earnings", "legal"]
    assert [e["evidence"] for e in body["events"][2:]] == [None, None]
    assert body["tickers"][1]["highlights"][0]["score"] == 1


async def test_unknown_and_invalid_requests_answer_as_before(paths: Paths, data: Data) -> None:
    unknown, compiled = await paths.both("/v1/articles/999999999999")
    assert unknown.status_code == 404 and compiled is False
    assert unknown.headers["content-type"] == "application/problem+json"
    cursor = orjson.loads((await paths.both(f"/v1/articles?source={data.source}&limit=1"))[0].content)
    for url in [*INVALID, f"/v1/articles?cursor={cursor['next_cursor']}&limit=0"]:
        response, compiled = await paths.both(url)
        assert response.status_code in (400, 404, 422), (url, response.status_code)
        assert compiled is None, url


async def test_rows_sql_cannot_spell_fall_back(paths: Paths, data: Data) -> None:
    for article_id in data.odd_ids:
        response, compiled = await paths.both(f"/v1/articles/{article_id}")
        assert response.status_code == 200 and compiled is False, article_id
    response, compiled = await paths.both(f"/v1/articles?source={data.odd_source}")
    assert response.status_code == 200 and compiled is False
    assert len(orjson.loads(response.content)["data"]) == len(data.odd_ids)
    # One odd article spoils only the pages it is on.
    answered = await _pages(paths, f"/v1/articles?source={data.odd_source}&source={data.source}&limit=5")
    assert False in answered and True in answered


async def test_cached_responses_and_etags_are_the_same(
    settings: Settings, auth_headers: dict[str, str], data: Data, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the response cache on, both renderings store the same entry: same ETag, same hit."""
    app: Starlette = create_app(settings)
    async with (
        serve(app, headers=auth_headers) as client,
        open_deps(settings, min_size=1, max_size=1) as deps,
    ):
        paths = Paths(client, monkeypatch)
        paths.wrap()
        for url in (
            f"/v1/articles?source={data.source}&limit=3",
            f"/v1/articles?source={data.source}&tickers=LUMN&include_body=true",
            f"/v1/articles/{data.ids[0]}",
        ):
            await invalidate_all(deps)
            served = await client.get(url)
            await invalidate_all(deps)
            paths.forced_off = True
            fallback = await client.get(url)
            paths.forced_off = False
            assert served.headers["x-cache"] == fallback.headers["x-cache"] == "miss", url
            assert _comparable(served) == _comparable(fallback), url
            hit = await client.get(url, headers={"If-None-Match": served.headers["etag"]})
            assert hit.status_code == 304 and hit.headers["etag"] == served.headers["etag"]
        assert paths.compiled == [True, True, True]
