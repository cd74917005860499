"""The REST bad-input table: every case a 4xx problem+json with a stable code, none a 500, nothing written."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.app import create_app
from core.settings import Settings
from tests.api.conftest import article_json, serve, table_counts

SRC = "api-test-errors"
JSON = {"content-type": "application/json"}


def art(**overrides: Any) -> dict[str, Any]:
    return {**article_json(SRC), **overrides}


def raw(value: Any) -> bytes:
    return json.dumps(value).encode()


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    url: str
    status: int
    code: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=lambda: dict(JSON))
    field: str | None = None


def post(case_id: str, body: bytes, status: int, code: str, *, fld: str | None = None, **kw: Any) -> Case:
    return Case(case_id, "POST", "/v1/articles", status, code, body=body, field=fld, **kw)


def get(case_id: str, url: str, status: int, code: str, *, fld: str | None = None) -> Case:
    return Case(case_id, "GET", url, status, code, field=fld)


def _batch(n: int) -> bytes:
    return raw({"articles": [art() for _ in range(n)]})


_ONE_BAD = [art(), art(), art(), {k: v for k, v in art().items() if k != "published_at"}, art()]
_TICKERS_CURSOR = base64.urlsafe_b64encode(b"s1:AAPL").decode().rstrip("=")

CASES = [
    # Body syntax: 400.
    post("malformed-json", b'{"source": ', 400, "malformed_json"),
    post("trailing-garbage", b"{} x", 400, "malformed_json"),
    post("empty-body", b"", 400, "malformed_json"),
    post("invalid-utf8", b'{"source": "\xff\xfe"}', 400, "invalid_utf8"),
    post("raw-nul-byte", b'{"source": "a\x00b"}', 400, "malformed_json"),
    post("lone-surrogate", b'{"title": "\\ud800"}', 400, "malformed_json"),
    post("number-overflow", b'{"published_at": 1e400}', 400, "malformed_json"),
    post("nesting-bomb", b"[" * 5000 + b"]" * 5000, 400, "malformed_json"),
    post("text-plain", raw(art()), 400, "unsupported_media_type", headers={"content-type": "text/plain"}),
    post("no-content-type", raw(art()), 400, "unsupported_media_type", headers={}),
    post(
        "form-encoded",
        b"source=x&title=y",
        400,
        "unsupported_media_type",
        headers={"content-type": "application/x-www-form-urlencoded"},
    ),
    post(
        "latin1-charset",
        raw(art()),
        400,
        "unsupported_media_type",
        headers={"content-type": "application/json; charset=latin-1"},
    ),
    post("query-on-post", raw(art()), 400, "unknown_parameter"),
    # Body size: 413.
    post("ten-megabytes", b'{"body": "' + b"x" * 10_000_000 + b'"}', 413, "payload_too_large"),
    # Body content: 422 with the field named.
    post("array-body", raw([art()]), 422, "validation_failed", fld="body"),
    post("string-body", raw("article"), 422, "validation_failed", fld="body"),
    post("unknown-field", raw(art(colour="red")), 422, "validation_failed", fld="colour"),
    post(
        "missing-title",
        raw({k: v for k, v in art().items() if k != "title"}),
        422,
        "validation_failed",
        fld="title",
    ),
    post("escaped-nul-title", raw(art(title="a\u0000b")), 422, "validation_failed", fld="title"),
    post("escaped-nul-body", raw(art(body="a\u0000b")), 422, "validation_failed", fld="body"),
    post(
        "naive-date",
        raw(art(published_at="2026-11-20T13:30:00")),
        422,
        "validation_failed",
        fld="published_at",
    ),
    post(
        "impossible-date",
        raw(art(published_at="2026-13-45T00:00:00Z")),
        422,
        "validation_failed",
        fld="published_at",
    ),
    post(
        "future-date",
        raw(art(published_at="2100-01-01T00:00:00Z")),
        422,
        "validation_failed",
        fld="published_at",
    ),
    post("overlong-title", raw(art(title="t" * 1001)), 422, "validation_failed", fld="title"),
    post("overlong-source", raw(art(source="s" * 101)), 422, "validation_failed", fld="source"),
    post("overlong-body", raw(art(body="b" * 200_001)), 422, "validation_failed", fld="body"),
    post("not-http-url", raw(art(url="ftp://example.com/a")), 422, "validation_failed", fld="url"),
    post("authors-not-list", raw(art(authors="A. Writer")), 422, "validation_failed", fld="authors"),
    post("bad-symbol", raw(art(tickers=["not a ticker!"])), 422, "validation_failed", fld="tickers[0]"),
    post("unknown-ticker", raw(art(tickers=["ZZZZZ"])), 422, "unknown_ticker", fld="tickers"),
    post("empty-batch", raw({"articles": []}), 422, "invalid_input", fld="articles"),
    post("batch-not-list", raw({"articles": {"a": 1}}), 422, "validation_failed", fld="articles"),
    post(
        "batch-extra-key",
        raw({"articles": [art()], "dry_run": True}),
        422,
        "validation_failed",
        fld="dry_run",
    ),
    post("batch-1001", _batch(1001), 422, "batch_too_large", fld="articles"),
    post(
        "batch-one-bad-item",
        raw({"articles": _ONE_BAD}),
        422,
        "validation_failed",
        fld="articles[3].published_at",
    ),
    post(
        "batch-one-unknown-ticker",
        raw({"articles": [art(), art(), art(tickers=["LUMN", "QQQQQ"])]}),
        422,
        "unknown_ticker",
        fld="tickers",
    ),
    # Query strings.
    get("limit-zero", "/v1/articles?limit=0", 422, "out_of_range", fld="limit"),
    get("limit-101", "/v1/articles?limit=101", 422, "out_of_range", fld="limit"),
    get("limit-abc", "/v1/articles?limit=abc", 422, "invalid_parameter", fld="limit"),
    get("limit-float", "/v1/articles?limit=1e3", 422, "invalid_parameter", fld="limit"),
    get("limit-huge", "/v1/articles?limit=99999999999999999999999", 422, "invalid_parameter", fld="limit"),
    get("unknown-param", "/v1/articles?tickr=LUMN", 400, "unknown_parameter", fld="tickr"),
    get("repeated-param", "/v1/articles?limit=1&limit=2", 400, "repeated_parameter", fld="limit"),
    get("garbage-cursor", "/v1/articles?cursor=not-a-cursor", 400, "invalid_cursor", fld="cursor"),
    get("foreign-cursor", f"/v1/articles?cursor={_TICKERS_CURSOR}", 400, "invalid_cursor", fld="cursor"),
    get("naive-from", "/v1/articles?from=2026-11-20T13:30:00", 422, "invalid_parameter", fld="from"),
    get("date-only-to", "/v1/articles?to=2026-11-20", 422, "invalid_parameter", fld="to"),
    get("word-from", "/v1/articles?from=yesterday", 422, "invalid_parameter", fld="from"),
    get("impossible-from", "/v1/articles?from=2026-02-30T00:00:00Z", 422, "invalid_parameter", fld="from"),
    get(
        "from-after-to",
        "/v1/articles?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
        422,
        "invalid_input",
        fld="from",
    ),
    get("score-above-1", "/v1/articles?score_min=2", 422, "out_of_range", fld="score_min"),
    get("score-nan", "/v1/articles?score_max=nan", 422, "out_of_range", fld="score_max"),
    get("unknown-label", "/v1/articles?label=happy", 422, "invalid_parameter", fld="label"),
    get("unknown-event-type", "/v1/articles?event_type=party", 422, "invalid_parameter", fld="event_type"),
    get("unknown-status", "/v1/articles?status=done", 422, "invalid_parameter", fld="status"),
    get("unknown-order", "/v1/articles?order=random", 422, "invalid_parameter", fld="order"),
    get("overlong-q", "/v1/articles?q=" + "q" * 501, 422, "too_long", fld="q"),
    get("overlong-any-value", "/v1/articles?source=" + "s" * 2001, 422, "too_long", fld="source"),
    get("nul-in-q", "/v1/articles?q=a%00b", 422, "invalid_parameter", fld="q"),
    get("bad-ticker-filter", "/v1/articles?tickers=not-a-ticker!", 422, "invalid_parameter", fld="tickers"),
    get("bad-boolean", "/v1/articles?include_body=maybe", 422, "invalid_parameter", fld="include_body"),
    # Paths.
    get("id-not-a-number", "/v1/articles/abc", 422, "invalid_parameter", fld="id"),
    get("id-over-bigint", "/v1/articles/99999999999999999999", 422, "invalid_parameter", fld="id"),
    get("id-zero", "/v1/articles/0", 422, "invalid_parameter", fld="id"),
    get("id-negative", "/v1/articles/-1", 422, "invalid_parameter", fld="id"),
    get("id-unicode-digits", "/v1/articles/%D9%A3", 422, "invalid_parameter", fld="id"),
    get("query-on-get-by-id", "/v1/articles/1?expand=all", 400, "unknown_parameter", fld="expand"),
    get("ticker-bad-symbol", "/v1/tickers/not%20a%20ticker", 422, "invalid_input", fld="symbol"),
    get("ticker-unknown", "/v1/tickers/ZZZZZ", 404, "not_found"),
    get("tickers-limit-zero", "/v1/tickers?limit=0", 422, "out_of_range", fld="limit"),
    get("tickers-overlong-search", "/v1/tickers?search=" + "a" * 101, 422, "too_long", fld="search"),
    get("tickers-bad-cursor", "/v1/tickers?cursor=%21%21%21", 400, "invalid_cursor", fld="cursor"),
    get("events-unknown-type", "/v1/events?type=party", 422, "invalid_parameter", fld="type"),
    get("events-bad-cursor", "/v1/events?cursor=abc", 400, "invalid_cursor", fld="cursor"),
    get(
        "events-from-after-to",
        "/v1/events?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
        422,
        "invalid_input",
        fld="from",
    ),
    get("meta-unknown-param", "/v1/meta/sentiment-scale?v=2", 400, "unknown_parameter", fld="v"),
    get("no-such-path", "/v1/nothing-here", 404, "not_found"),
    Case("method-not-allowed", "DELETE", "/v1/articles", 405, "method_not_allowed"),
    Case(
        "declared-huge-body-on-get",
        "GET",
        "/v1/articles",
        413,
        "payload_too_large",
        body=b"x" * 6_000_000,
    ),
]


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_bad_input(client: httpx.AsyncClient, pool: asyncpg.Pool, case: Case) -> None:
    url = case.url + ("?dry_run=1" if case.id == "query-on-post" else "")
    before = await table_counts(pool)
    response = await client.request(case.method, url, content=case.body, headers=case.headers)
    assert response.status_code == case.status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == case.code, problem
    assert problem["status"] == case.status and problem["type"].endswith(case.code)
    assert problem["detail"] and problem["title"]
    assert problem["instance"] == httpx.URL(url).path
    if case.field is not None:
        assert case.field in [e["field"] for e in problem["errors"]], problem
    assert await table_counts(pool) == before


async def test_chunked_body_over_the_limit_is_413(client: httpx.AsyncClient, pool: asyncpg.Pool) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"body": "'
        for _ in range(100):
            yield b"x" * 100_000  # 10 MB without a Content-Length
        yield b'"}'

    before = await table_counts(pool)
    response = await client.post("/v1/articles", content=chunks(), headers=JSON)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert await table_counts(pool) == before


async def test_validation_lists_every_field(client: httpx.AsyncClient) -> None:
    bad = art(title="", published_at="soon", language="not a language", colour="red")
    response = await client.post("/v1/articles", json=bad)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"title", "published_at", "language", "colour"}


async def test_unknown_tickers_are_listed(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/articles", json=art(tickers=["LUMN", "QQQQQ", "ZZZZZ"]))
    assert response.status_code == 422
    assert response.json()["unknown"] == ["QQQQQ", "ZZZZZ"]


async def test_unexpected_errors_are_500_problems_without_internals(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app: Starlette = create_app(settings)

    async def boom(request: Request) -> Response:
        raise RuntimeError("connection to 10.0.0.5 refused, password=hunter2")

    app.router.routes.append(Route("/boom", boom))
    async with serve(app) as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "internal"
    assert "10.0.0.5" not in response.text and "hunter2" not in response.text
    assert "RuntimeError" in caplog.text
