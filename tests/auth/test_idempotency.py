"""Idempotency-Key: replay for the same body, 422 for another, 409 in flight, one effect from 20 at once."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Mapping
from typing import Any

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from api.app import create_app
from core.settings import Settings
from tests.api.conftest import serve
from tests.auth.conftest import FakeScorer, MakeKey


def _article(source: str) -> dict[str, Any]:
    return {
        "source": source,
        "external_id": uuid.uuid4().hex,
        "title": f"Lumen buys Alkira {uuid.uuid4().hex[:8]}",
        "body": "Lumen Technologies agreed to acquire Alkira for $475 million in cash.",
        "published_at": "2026-11-20T13:30:00Z",
    }


async def _count(pool: asyncpg.Pool, source: str) -> int:
    value = await pool.fetchval(
        "select count(*) from articles a join sources s on s.id = a.source_id where s.name = $1", source
    )
    return int(value)


async def test_replay_and_mismatch(bare: httpx.AsyncClient, make_key: MakeKey, pool: asyncpg.Pool) -> None:
    key = await make_key(["ingest"])
    source = f"idem-{uuid.uuid4().hex[:8]}"
    body = _article(source)
    headers = {"X-API-Key": key, "Idempotency-Key": str(uuid.uuid4())}
    first = await bare.post("/v1/articles", json=body, headers=headers)
    again = await bare.post("/v1/articles", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert await _count(pool, source) == 1
    other = await bare.post("/v1/articles", json=_article(source), headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert await _count(pool, source) == 1


async def test_keys_are_scoped_per_api_key(
    bare: httpx.AsyncClient, make_key: MakeKey, pool: asyncpg.Pool
) -> None:
    source = f"idem-{uuid.uuid4().hex[:8]}"
    shared = str(uuid.uuid4())
    a = await bare.post(
        "/v1/articles",
        json=_article(source),
        headers={"X-API-Key": await make_key(["ingest"]), "Idempotency-Key": shared},
    )
    b = await bare.post(
        "/v1/articles",
        json=_article(source),
        headers={"X-API-Key": await make_key(["ingest"]), "Idempotency-Key": shared},
    )
    assert a.status_code == b.status_code == 201
    assert await _count(pool, source) == 2


async def test_in_flight_gets_409(bare: httpx.AsyncClient, make_key: MakeKey, pool: asyncpg.Pool) -> None:
    key = await make_key(["ingest"])
    idem = str(uuid.uuid4())
    body = _article(f"idem-{uuid.uuid4().hex[:8]}")
    # Hold the key as an unfinished request would: the row exists, in flight, with this body's hash.
    first = await bare.post("/v1/articles", json=body, headers={"X-API-Key": key, "Idempotency-Key": idem})
    assert first.status_code == 201
    await pool.execute("update idempotency_keys set status = 'in_flight' where key = $1", idem)
    response = await bare.post("/v1/articles", json=body, headers={"X-API-Key": key, "Idempotency-Key": idem})
    assert response.status_code == 409 and response.json()["code"] == "idempotency_key_in_use"
    assert response.headers["Retry-After"] == "1"


async def test_twenty_concurrent_requests_one_effect(
    bare: httpx.AsyncClient, make_key: MakeKey, pool: asyncpg.Pool
) -> None:
    key = await make_key(["ingest"])
    source = f"idem-{uuid.uuid4().hex[:8]}"
    # A batch with a fresh external id each time would create new rows if it ran twice.
    body = {"articles": [_article(source) for _ in range(3)]}
    headers = {"X-API-Key": key, "Idempotency-Key": str(uuid.uuid4())}
    responses = await asyncio.gather(
        *(bare.post("/v1/articles", json=body, headers=headers) for _ in range(20))
    )
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, statuses
    assert statuses.count(201) >= 1
    created = [r for r in responses if r.status_code == 201]
    assert all(r.content == created[0].content for r in created)
    assert await _count(pool, source) == 3
    jobs = await pool.fetchval(
        "select count(*) from score_jobs j join articles a on a.id = j.article_id"
        " join sources s on s.id = a.source_id where s.name = $1",
        source,
    )
    assert jobs == 3


async def test_bad_key_and_no_key(bare: httpx.AsyncClient, make_key: MakeKey) -> None:
    key = await make_key(["ingest"])
    bad = await bare.post(
        "/v1/articles", json=_article("idem-bad"), headers={"X-API-Key": key, "Idempotency-Key": "has space"}
    )
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_idempotency_key"
    plain = await bare.post("/v1/articles", json=_article("idem-plain"), headers={"X-API-Key": key})
    assert plain.status_code == 201 and "Idempotent-Replayed" not in plain.headers


# Every POST of the REST API, with a body that succeeds and another that differs.
POSTS = {
    "/v1/score": ({"body": "Lumen beat revenue estimates."}, {"body": "Lumen missed revenue estimates."}),
    "/v1/admin/jobs/retry": ({"job_ids": [2**40]}, {"job_ids": [2**40 + 1]}),
}


def test_every_post_is_covered(auth_app: Starlette) -> None:
    posts = {
        route.path
        for route in auth_app.routes
        if isinstance(route, Route) and route.path.startswith("/v1") and "POST" in (route.methods or set())
    }
    assert posts == {"/v1/articles", *POSTS}


@pytest.mark.parametrize("path", sorted(POSTS))
async def test_replay_and_mismatch_on_every_post(
    bare: httpx.AsyncClient, make_key: MakeKey, path: str
) -> None:
    body, other = POSTS[path]
    headers = {"X-API-Key": await make_key(["score", "admin"]), "Idempotency-Key": str(uuid.uuid4())}
    first = await bare.post(path, json=body, headers=headers)
    assert first.status_code == 200, first.text
    again = await bare.post(path, json=body, headers=headers)
    # The stored answer, byte for byte (a re-run would carry a new scored_at), marked as a replay.
    assert again.status_code == 200 and again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    mismatch = await bare.post(path, json=other, headers=headers)
    assert mismatch.status_code == 422 and mismatch.json()["code"] == "idempotency_key_reused"


class GatedScorer:
    """A scorer that holds its thread until the test opens the gate: a request genuinely in flight."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.gate = threading.Event()

    def analyze_text(self, *, title: str, body: str, tickers: tuple[str, ...]) -> Mapping[str, object]:
        self.entered.set()
        self.gate.wait(timeout=10)
        return FakeScorer().analyze_text(title=title, body=body, tickers=tickers)


async def test_a_request_in_flight_gets_409_until_it_finishes(settings: Settings, make_key: MakeKey) -> None:
    gated = GatedScorer()
    app = create_app(settings, scorer_factory=lambda _tickers: gated)
    headers = {"X-API-Key": await make_key(["score"]), "Idempotency-Key": str(uuid.uuid4())}
    body = {"body": "Lumen beat revenue estimates."}
    async with serve(app) as client:
        first = asyncio.create_task(client.post("/v1/score", json=body, headers=headers))
        try:
            assert await asyncio.to_thread(gated.entered.wait, 10)
            busy = await client.post("/v1/score", json=body, headers=headers)
            assert busy.status_code == 409 and busy.json()["code"] == "idempotency_key_in_use"
            assert busy.headers["Retry-After"] == "1"
            other = await client.post("/v1/score", json={"body": "Another text."}, headers=headers)
            assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
        finally:
            gated.gate.set()
        done = await first
        assert done.status_code == 200, done.text
        replay = await client.post("/v1/score", json=body, headers=headers)
        assert replay.content == done.content and replay.headers["Idempotent-Replayed"] == "true"


async def test_a_key_expires_after_24_hours(
    bare: httpx.AsyncClient, make_key: MakeKey, pool: asyncpg.Pool
) -> None:
    headers = {"X-API-Key": await make_key(["score"]), "Idempotency-Key": str(uuid.uuid4())}
    body = {"body": "Lumen beat revenue estimates."}
    first = await bare.post("/v1/score", json=body, headers=headers)
    assert first.status_code == 200
    await pool.execute(
        "update idempotency_keys set created_at = now() - interval '23 hours 59 minutes' where key = $1",
        headers["Idempotency-Key"],
    )
    assert (await bare.post("/v1/score", json=body, headers=headers)).headers["Idempotent-Replayed"] == "true"
    await pool.execute(
        "update idempotency_keys set created_at = now() - interval '24 hours 1 minute' where key = $1",
        headers["Idempotency-Key"],
    )
    # Past 24 h the key is free again: another body runs instead of a 422, and is not a replay.
    fresh = await bare.post("/v1/score", json={"body": "Lumen missed."}, headers=headers)
    assert fresh.status_code == 200 and "Idempotent-Replayed" not in fresh.headers
    assert fresh.content != first.content


async def test_graphql_mutations_replay_too(
    bare: httpx.AsyncClient, make_key: MakeKey, pool: asyncpg.Pool
) -> None:
    source = f"idem-gql-{uuid.uuid4().hex[:8]}"
    # No external id: without the Idempotency-Key, a changed title would be a second article.
    mutation = (
        "mutation($source: String!, $title: String!) { ingestArticle(input: {source: $source,"
        ' title: $title, body: "Lumen Technologies agreed to acquire Alkira.",'
        ' publishedAt: "2026-11-20T13:30:00Z"}) { created article { id } } }'
    )
    headers = {"X-API-Key": await make_key(["ingest"]), "Idempotency-Key": str(uuid.uuid4())}
    body = {"query": mutation, "variables": {"source": source, "title": "Lumen buys Alkira"}}
    first = await bare.post("/graphql", json=body, headers=headers)
    assert first.status_code == 200 and first.json()["data"]["ingestArticle"]["created"] is True, first.text
    again = await bare.post("/graphql", json=body, headers=headers)
    assert again.content == first.content and again.headers["Idempotent-Replayed"] == "true"
    other = {"query": mutation, "variables": {"source": source, "title": "Lumen buys Alkira, again"}}
    mismatch = await bare.post("/graphql", json=other, headers=headers)
    assert mismatch.status_code == 422 and mismatch.json()["code"] == "idempotency_key_reused"
    assert await _count(pool, source) == 1


async def test_a_refused_request_frees_its_key(
    bare: httpx.AsyncClient, make_key: MakeKey, pool: asyncpg.Pool
) -> None:
    # Stripe's rule: a request refused for its input did not run, so the fixed request may reuse the key.
    source = f"idem-{uuid.uuid4().hex[:8]}"
    headers = {"X-API-Key": await make_key(["ingest"]), "Idempotency-Key": str(uuid.uuid4())}
    refused = await bare.post("/v1/articles", json={**_article(source), "tickers": ["ZZZZ"]}, headers=headers)
    assert refused.status_code == 422 and refused.json()["code"] == "unknown_ticker", refused.text
    fixed = _article(source)
    created = await bare.post("/v1/articles", json=fixed, headers=headers)
    assert created.status_code == 201 and "Idempotent-Replayed" not in created.headers
    replay = await bare.post("/v1/articles", json=fixed, headers=headers)
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.content == created.content
    assert await _count(pool, source) == 1
