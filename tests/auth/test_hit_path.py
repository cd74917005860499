"""The hit path (api/hits.py) answers exactly as the full stack would, and only when it may.

The full stack is reached on purpose with a query string on ``POST /graphql`` (the hit path leaves
any such request alone; the GraphQL response does not depend on it), so each case compares the two
paths on the same app, key and cache entry.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio

from api import hits
from api.app import create_app
from api.ratelimits import raw_rate_headers
from cache.pipelined import PipelinedRedis
from cache.store import Cache, create_client
from core.records import ArticleIn
from core.settings import Settings
from schema.view import GraphQLView
from services.deps import Deps
from services.ingest import ingest_articles
from tests.api.conftest import serve
from tests.auth.conftest import MakeKey

FULL = "/graphql?via=full"


def _query() -> dict[str, Any]:
    # A unique alias makes a fresh cache entry per test; sentimentScale needs no data.
    return {"query": f"{{ s{uuid.uuid4().hex[:8]}: sentimentScale {{ label min }} }}"}


@pytest.fixture
def hit_path_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the hits the hit path itself sent."""
    runs: list[int] = []

    def counting(*args: Any) -> list[tuple[bytes, bytes]]:
        runs.append(1)
        return raw_rate_headers(*args)

    monkeypatch.setattr(hits, "raw_rate_headers", counting)
    return runs


def _comparable(response: httpx.Response) -> tuple[int, bytes, dict[str, str]]:
    headers = {k: v for k, v in response.headers.items() if k not in ("date", "ratelimit")}
    return response.status_code, response.content, headers


async def test_a_hit_is_the_full_paths_hit_byte_for_byte(
    bare: httpx.AsyncClient, make_key: MakeKey, hit_path_runs: list[int]
) -> None:
    key = await make_key(["read"])
    query = _query()
    for header in ({"X-API-Key": key}, {"Authorization": f"Bearer {key}"}):
        await bare.post("/graphql", json=query, headers=header)  # a miss the first time round
        fast = await bare.post("/graphql", json=query, headers=header)
        full = await bare.post(FULL, json=query, headers=header)
        assert fast.headers["x-cache"] == "hit" and full.headers["x-cache"] == "hit"
        assert _comparable(fast) == _comparable(full)
        assert fast.headers["ratelimit"].startswith('"default";r=')
    assert len(hit_path_runs) == 3  # both rounds' second requests, and the second round's first


async def test_a_miss_is_charged_once(bare: httpx.AsyncClient, make_key: MakeKey) -> None:
    # Burst 2: were a miss charged by both the hit path and the full stack, the second would be refused.
    key = await make_key(["read"], rate=2)
    headers = {"X-API-Key": key}
    first = await bare.post("/graphql", json=_query(), headers=headers)
    second = await bare.post("/graphql", json=_query(), headers=headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.headers["x-cache"] == second.headers["x-cache"] == "miss"
    third = await bare.post("/graphql", json=_query(), headers=headers)
    assert third.status_code == 429


async def test_a_refused_hit_is_the_full_paths_429(bare: httpx.AsyncClient, make_key: MakeKey) -> None:
    query = _query()
    warm = await make_key(["read"])
    await bare.post("/graphql", json=query, headers={"X-API-Key": warm})
    refused = []
    for path in ("/graphql", FULL):
        key = await make_key(["read"], rate=1)
        assert (await bare.post(path, json=query, headers={"X-API-Key": key})).status_code == 200
        refused.append(await bare.post(path, json=query, headers={"X-API-Key": key}))
    fast, full = refused
    assert fast.status_code == full.status_code == 429
    assert fast.json() == full.json() | {"instance": fast.json()["instance"]}
    assert fast.headers["retry-after"] == full.headers["retry-after"]
    assert fast.headers["content-type"] == full.headers["content-type"]


async def test_callers_it_cannot_vouch_for_get_the_full_paths_answer(
    bare: httpx.AsyncClient, make_key: MakeKey, hit_path_runs: list[int]
) -> None:
    query = _query()
    good = await make_key(["read"])
    await bare.post("/graphql", json=query, headers={"X-API-Key": good})  # the entry exists
    ingest_only = await make_key(["ingest"])
    await bare.post("/graphql", json=query, headers={"X-API-Key": ingest_only})
    other = await make_key(["read"])
    cases = [
        ({"X-API-Key": good[:-4] + "AAAA"}, 401),  # wrong secret for a known key id
        ({"X-API-Key": ingest_only}, 403),  # known key, no read scope
        ({"X-API-Key": good, "Authorization": f"Bearer {other}"}, 401),  # two different keys
        ({"Authorization": f"Basic {good}"}, 401),  # malformed
        ({}, 401),
    ]
    for headers, status in cases:
        response = await bare.post("/graphql", json=query, headers=headers)
        assert response.status_code == status, (headers.keys(), response.text)
    assert hit_path_runs == []


async def test_requests_it_does_not_take_still_work(
    bare: httpx.AsyncClient, make_key: MakeKey, hit_path_runs: list[int]
) -> None:
    key = await make_key(["read"])
    headers = {"X-API-Key": key}
    query = _query()
    await bare.post("/graphql", json=query, headers=headers)
    batch = await bare.post("/graphql", json=[query, query], headers=headers)
    assert batch.status_code == 400 and batch.json()["errors"][0]["extensions"]["code"] == "batching_disabled"
    broken = await bare.post("/graphql", json={"query": "{ sentimentScale {"}, headers=headers)
    assert broken.json()["errors"][0]["extensions"]["code"] == "syntax_error"
    with_extensions = await bare.post("/graphql", json=query | {"extensions": {}}, headers=headers)
    assert with_extensions.status_code == 200 and with_extensions.headers["x-cache"] == "hit"
    mutation = {"query": 'mutation { ingestArticle(input: {source: "x"}) { id } }'}
    assert (await bare.post("/graphql", json=mutation, headers=headers)).status_code == 403
    assert hit_path_runs == []


async def test_a_rest_hit_is_the_full_paths_hit_byte_for_byte(
    bare: httpx.AsyncClient, make_key: MakeKey, hit_path_runs: list[int]
) -> None:
    key = await make_key(["read"])
    headers = {"X-API-Key": key}
    # The full stack takes any request with an Idempotency-Key; on a GET it changes nothing else.
    full_headers = headers | {"Idempotency-Key": uuid.uuid4().hex}
    path = f"/v1/articles?limit=2&source=hit-{uuid.uuid4().hex[:8]}"
    first = await bare.get(path, headers=headers)
    assert first.headers["x-cache"] == "miss"
    fast = await bare.get(path, headers=headers)
    full = await bare.get(path, headers=full_headers)
    assert fast.headers["x-cache"] == full.headers["x-cache"] == "hit"
    assert _comparable(fast) == _comparable(full)
    assert fast.headers["etag"] == first.headers["etag"]
    # A client holding the current copy gets 304 either way.
    etag = {"If-None-Match": first.headers["etag"]}
    fast_304 = await bare.get(path, headers=headers | etag)
    full_304 = await bare.get(path, headers=full_headers | etag)
    assert fast_304.status_code == full_304.status_code == 304
    assert _comparable(fast_304) == _comparable(full_304)
    assert len(hit_path_runs) == 2
    # A key in the URL is refused, whatever the cache holds.
    refused = await bare.get(path + f"&apikey={key}", headers=headers)
    assert refused.status_code == 401
    assert len(hit_path_runs) == 2


async def _polls_until_free(
    bare: httpx.AsyncClient, calls: list[int], send: Any, *, timeout_s: float = 3.0
) -> httpx.Response:
    """Poll until 20 polls in a row cost no Redis command (the tracker is connected, the generations
    learnt, the lease granted); the last response."""
    deadline = time.monotonic() + timeout_s
    while True:
        before = len(calls)
        for _ in range(20):
            response: httpx.Response = await send()
            assert response.status_code == 200 and response.headers["x-cache"] == "hit"
        if len(calls) == before:
            return response
        assert time.monotonic() < deadline, "polls kept asking Redis"
        await asyncio.sleep(0.02)


async def test_polls_of_a_current_copy_cost_no_redis_command_until_a_write(
    bare: httpx.AsyncClient,
    make_key: MakeKey,
    settings: Settings,
    pool: asyncpg.Pool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = await make_key(["read"], rate=60_000)  # fast enough to lease (cache/ratelimit.py)
    headers = {"X-API-Key": key}
    source = f"poll-{uuid.uuid4().hex[:8]}"
    path = f"/v1/articles?limit=2&source={source}"
    articles = f'articles(first: 2, filter: {{sources: ["{source}"]}})'
    query = {"query": f"{{ {articles} {{ edges {{ node {{ title }} }} }} }}"}
    calls: list[int] = []
    original = PipelinedRedis.execute

    async def counted(client: PipelinedRedis, *args: Any) -> Any:
        calls.append(1)
        return await original(client, *args)

    monkeypatch.setattr(PipelinedRedis, "execute", counted)
    rest_first = await bare.get(path, headers=headers)
    graphql_first = await bare.post("/graphql", json=query, headers=headers)
    rest = await _polls_until_free(bare, calls, lambda: bare.get(path, headers=headers))
    graphql = await _polls_until_free(bare, calls, lambda: bare.post("/graphql", json=query, headers=headers))
    assert rest.content == rest_first.content and graphql.content == graphql_first.content
    assert rest.headers["etag"] == rest_first.headers["etag"]
    assert int(rest.headers["ratelimit"].split("r=")[1].split(";")[0]) > 0

    # Another process writes (its own Redis connections, as a worker's): the next poll sees it.
    writer = Cache(create_client(settings.redis_url.get_secret_value()))
    try:
        item = ArticleIn(
            source=source,
            external_id="1",
            title="written",
            body="b",
            published_at=datetime(2021, 1, 4, tzinfo=UTC),
        )
        await ingest_articles(Deps(settings=settings, pool=pool, cache=writer), articles=[item])
    finally:
        await writer.aclose()
    after_rest = await bare.get(path, headers=headers)
    after_graphql = await bare.post("/graphql", json=query, headers=headers)
    assert after_rest.headers["x-cache"] == after_graphql.headers["x-cache"] == "miss"
    assert b"written" in after_rest.content and b"written" in after_graphql.content


async def test_an_unexpected_error_on_the_hit_path_is_a_logged_500_problem(
    bare: httpx.AsyncClient,
    make_key: MakeKey,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = await make_key(["read"])

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    # The first request authenticates the key the long way; the hit path takes the second.
    assert (await bare.post("/graphql", json=_query(), headers={"X-API-Key": key})).status_code == 200
    monkeypatch.setattr(hits, "charge_and_lookup", broken)
    response = await bare.post("/graphql", json=_query(), headers={"X-API-Key": key})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "internal" and "boom" not in response.text
    assert any("unhandled error on POST /graphql" in r.getMessage() for r in caplog.records)


# ------------------------------------------------------------------ response cache off: compiled reads


@pytest_asyncio.fixture(scope="module")
async def uncached(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    """The app with the response cache off, and one article only its source finds."""
    deps = Deps(settings=settings, pool=pool)
    await ingest_articles(
        deps,
        articles=[
            ArticleIn(
                source=_UNCACHED_SOURCE,
                external_id=uuid.uuid4().hex,
                title='A "quoted" title',
                body="A body.",
                published_at=datetime(2026, 4, 1, tzinfo=UTC),
            )
        ],
    )
    app = create_app(settings.model_copy(update={"response_cache": False, "request_timeout_s": 0.5}))
    async with serve(app) as client:
        yield client


_UNCACHED_SOURCE = f"uncached-{uuid.uuid4().hex[:8]}"
_COMPILED = {
    "query": "query($s: [String!]) { articles(first: 5, filter: {sources: $s})"
    " { edges { cursor node { id title publishedAt status } } pageInfo { hasNextPage } } }",
    "variables": {"s": [_UNCACHED_SOURCE]},
}


async def test_uncached_compiled_read_is_the_full_paths_answer_byte_for_byte(
    uncached: httpx.AsyncClient, make_key: MakeKey, hit_path_runs: list[int]
) -> None:
    key = await make_key(["read"])
    for headers in ({"X-API-Key": key}, {"Authorization": f"Bearer {key}"}):
        await uncached.post("/graphql", json=_COMPILED, headers=headers)  # authenticates the key
        fast = await uncached.post("/graphql", json=_COMPILED, headers=headers)
        full = await uncached.post(FULL, json=_COMPILED, headers=headers)
        edges = fast.json()["data"]["articles"]["edges"]
        assert fast.status_code == 200 and edges[0]["node"]["title"] == 'A "quoted" title'
        assert _comparable(fast) == _comparable(full)
        assert "x-cache" not in fast.headers
        assert fast.headers["ratelimit"].startswith('"default";r=')
    assert len(hit_path_runs) == 3


async def test_uncached_reads_are_charged_once_whichever_path_answers(
    uncached: httpx.AsyncClient, make_key: MakeKey, hit_path_runs: list[int]
) -> None:
    # Burst 3: a request charged twice would make the third or fourth a 429 too early.
    key = await make_key(["read"], rate=3)
    headers = {"X-API-Key": key}
    assert (await uncached.post("/graphql", json=_COMPILED, headers=headers)).status_code == 200
    assert (await uncached.post("/graphql", json=_COMPILED, headers=headers)).status_code == 200
    assert len(hit_path_runs) == 1
    # Not compiled (sentimentScale is no article read): charged here, answered by strawberry.
    strawberry = await uncached.post("/graphql", json=_query(), headers=headers)
    assert strawberry.status_code == 200 and strawberry.json()["data"]
    assert strawberry.headers["ratelimit"].startswith('"default";r=')
    refused = await uncached.post("/graphql", json=_COMPILED, headers=headers)
    assert refused.status_code == 429


async def test_uncached_refusals_and_limits_are_the_full_paths(
    uncached: httpx.AsyncClient, make_key: MakeKey
) -> None:
    answers = []
    for path in ("/graphql", FULL):
        key = await make_key(["read"], rate=2)
        headers = {"X-API-Key": key}
        for _ in range(2):
            assert (await uncached.post(path, json=_COMPILED, headers=headers)).status_code == 200
        answers.append(await uncached.post(path, json=_COMPILED, headers=headers))
    fast, full = answers
    assert fast.status_code == full.status_code == 429
    assert fast.json() == full.json() | {"instance": fast.json()["instance"]}
    assert fast.headers["retry-after"] == full.headers["retry-after"]

    key = await make_key(["read"])
    headers = {"X-API-Key": key}
    await uncached.post("/graphql", json=_COMPILED, headers=headers)
    too_many = {"query": "{ articles(first: 1000) { edges { node { id } } } }"}
    fast_limit = await uncached.post("/graphql", json=too_many, headers=headers)
    full_limit = await uncached.post(FULL, json=too_many, headers=headers)
    assert fast_limit.json()["errors"][0]["extensions"]["code"] == "out_of_range"
    assert _comparable(fast_limit) == _comparable(full_limit)


async def test_an_uncached_read_past_its_deadline_is_the_full_paths_503(
    uncached: httpx.AsyncClient, make_key: MakeKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = await make_key(["read"])
    headers = {"X-API-Key": key}
    await uncached.post("/graphql", json=_COMPILED, headers=headers)

    async def stalled(*args: Any, **kwargs: Any) -> bytes | None:
        await asyncio.sleep(5)  # Postgres silently dropping packets
        return None

    monkeypatch.setattr(GraphQLView, "execute_compiled", stalled)
    answers = []
    for path in ("/graphql", FULL):
        started = time.monotonic()
        answers.append(await uncached.post(path, json=_COMPILED, headers=headers))
        assert time.monotonic() - started < 2.0  # the 0.5 s deadline, not the 5 s stall
    fast, full = answers
    assert fast.status_code == full.status_code == 503
    assert fast.headers["retry-after"] == full.headers["retry-after"] == "1"
    assert fast.json() == full.json() | {"instance": fast.json()["instance"]}
