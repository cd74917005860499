"""Idempotency-Key: replay for the same body, 422 for another, 409 in flight, one effect from 20 at once."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx

from tests.auth.conftest import MakeKey


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
