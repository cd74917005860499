"""The hit path (api/hits.py) answers exactly as the full stack would, and only when it may.

The full stack is reached on purpose with a query string on ``POST /graphql`` (the hit path leaves
any such request alone; the GraphQL response does not depend on it), so each case compares the two
paths on the same app, key and cache entry.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from api import hits
from api.ratelimits import raw_rate_headers
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
