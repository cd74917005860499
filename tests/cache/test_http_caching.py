"""The read-through through the whole app: GraphQL hits skip strawberry, writes invalidate at once,
REST answers ETag / 304 / Cache-Control, persisted operations and registered-only keys."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from redis.asyncio import Redis
from starlette.applications import Starlette

from api.app import create_app
from cache import keys
from cache.breaker import BreakerSettings, CircuitBreaker
from cache.pipelined import PipelinedRedis
from cache.store import Cache, create_client
from core.settings import Settings
from schema.view import GraphQLView
from services.deps import Deps
from services.keys import create_key
from services.operations import register_trusted
from tests.api.conftest import serve


@pytest_asyncio.fixture(scope="module")
async def app(settings: Settings) -> Starlette:
    redis = Redis.from_url(settings.redis_url.get_secret_value())
    await redis.flushdb()
    await redis.aclose()
    return create_app(settings)


@pytest_asyncio.fixture(scope="module")
async def client(app: Starlette, auth_headers: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(app, headers=auth_headers) as c:
        yield c


@pytest.fixture
def view_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts requests that reached the GraphQL view (the compiled path or strawberry's execution)."""
    runs: list[int] = []
    original = GraphQLView.__call__

    async def counting(self: GraphQLView, *args: Any, **kwargs: Any) -> Any:
        runs.append(1)
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(GraphQLView, "__call__", counting)
    return runs


def _article(source: str, n: int) -> dict[str, Any]:
    return {
        "source": source,
        "external_id": uuid.uuid4().hex,
        "title": f"cache test {n}",
        "body": f"body {n}",
        "published_at": f"2026-03-01T10:{n:02d}:00Z",
    }


async def _ingest(client: httpx.AsyncClient, source: str, n: int) -> int:
    response = await client.post("/v1/articles", json=_article(source, n))
    assert response.status_code in (200, 201), response.text
    article_id: int = response.json()["id"]
    return int(article_id)


def _list_query(source: str) -> dict[str, Any]:
    return {
        "query": "query($f: ArticleFilter) {"
        " articles(first: 5, filter: $f) { edges { node { id title } } } }",
        "variables": {"f": {"sources": [source]}},
    }


def _ids(response: httpx.Response) -> list[str]:
    return [e["node"]["id"] for e in response.json()["data"]["articles"]["edges"]]


async def test_graphql_hit_serves_stored_bytes_without_strawberry(
    client: httpx.AsyncClient, view_runs: list[int]
) -> None:
    source = f"http-{uuid.uuid4().hex[:8]}"
    await _ingest(client, source, 1)
    first = await client.post("/graphql", json=_list_query(source))
    assert first.headers["x-cache"] == "miss" and len(view_runs) == 1
    second = await client.post("/graphql", json=_list_query(source))
    assert second.headers["x-cache"] == "hit"
    assert second.content == first.content
    assert len(view_runs) == 1, "a hit must not reach strawberry"
    # The same operation spelled differently is the same entry.
    spaced = dict(
        _list_query(source),
        query="query ($f: ArticleFilter) {\n  articles(first: 5, filter: $f)"
        " { edges { node { id   title } } }\n}  # comment",
    )
    third = await client.post("/graphql", json=spaced)
    assert third.headers["x-cache"] == "hit" and len(view_runs) == 1


@pytest.mark.parametrize("kind", ["graphql", "rest"])
async def test_a_hit_is_one_redis_round_trip_and_still_charged(
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    pool: asyncpg.Pool,
    kind: str,
) -> None:
    source = f"trip-{uuid.uuid4().hex[:8]}"
    await _ingest(client, source, 1)
    # A slow budget (1 unit a second) so that spending shows in the remaining count.
    issued = await create_key(
        Deps(settings=settings, pool=pool), name="trip", scopes=["read"], rate_per_min=60
    )
    headers = {"Authorization": f"Bearer {issued.secret}"}

    async def read() -> httpx.Response:
        if kind == "graphql":
            return await client.post("/graphql", json=_list_query(source), headers=headers)
        return await client.get("/v1/articles", params={"source": source, "limit": 3}, headers=headers)

    assert (await read()).headers["x-cache"] == "miss"
    commands: list[object] = []
    original: Callable[..., Awaitable[Any]] = Redis.execute_command

    async def counting(self: Redis, *args: Any, **options: Any) -> Any:
        commands.append(args[0])
        return await original(self, *args, **options)

    original_pipelined: Callable[..., Awaitable[Any]] = PipelinedRedis.execute

    async def counting_pipelined(self: PipelinedRedis, *args: Any) -> Any:
        commands.append(args[0])
        return await original_pipelined(self, *args)

    # Either client may carry it (the pipelined one on the hot path); count both.
    monkeypatch.setattr(Redis, "execute_command", counting)
    monkeypatch.setattr(PipelinedRedis, "execute", counting_pipelined)
    hit = await read()
    assert hit.headers["x-cache"] == "hit"
    # The rate-limit charge and the lookup travel together: one script, one round trip.
    assert [str(c).upper() for c in commands] == ["EVALSHA"], commands
    policy_headers = (hit.headers["RateLimit-Policy"], hit.headers["RateLimit"])
    monkeypatch.undo()
    again = await read()
    remaining = int(again.headers["RateLimit"].split("r=")[1].split(";")[0])
    assert remaining < int(policy_headers[1].split("r=")[1].split(";")[0]), "a hit spends budget"


async def test_ingest_makes_lists_fresh_at_once(client: httpx.AsyncClient) -> None:
    source = f"http-{uuid.uuid4().hex[:8]}"
    await _ingest(client, source, 1)
    before = _ids(await client.post("/graphql", json=_list_query(source)))
    assert _ids(await client.post("/graphql", json=_list_query(source))) == before
    new_id = await _ingest(client, source, 2)
    after = await client.post("/graphql", json=_list_query(source))
    assert after.headers["x-cache"] == "miss"
    assert _ids(after)[0] == str(new_id)


async def test_article_entry_depends_on_its_article_only(
    client: httpx.AsyncClient, settings: Settings, pool: asyncpg.Pool
) -> None:
    source = f"http-{uuid.uuid4().hex[:8]}"
    mine, other = await _ingest(client, source, 1), await _ingest(client, source, 2)
    query = {"query": "query($id: ID!) { article(id: $id) { id title sentiment { score } } }"}
    body = dict(query, variables={"id": str(mine)})
    assert (await client.post("/graphql", json=body)).headers["x-cache"] == "miss"
    await _ingest(client, source, 3)  # an unrelated write
    assert (await client.post("/graphql", json=body)).headers["x-cache"] == "hit"
    # A re-score of this article (what the worker does) makes the entry unreachable.
    await pool.execute(
        "update articles set sentiment_score = 0.7, sentiment_label = 'moderately positive',"
        " sentiment_confidence = 0.9, sentiment_model = 'm', scored_at = now(), status = 'scored'"
        " where id = $1",
        mine,
    )
    cache = Cache(create_client(settings.redis_url.get_secret_value()))
    await cache.bump_articles(article_ids=[mine], symbols=[])
    await cache.aclose()
    fresh = await client.post("/graphql", json=body)
    assert fresh.headers["x-cache"] == "miss"
    assert fresh.json()["data"]["article"]["sentiment"]["score"] == pytest.approx(0.7)
    assert other != mine


async def test_rest_etag_304_and_cache_control(client: httpx.AsyncClient) -> None:
    source = f"http-{uuid.uuid4().hex[:8]}"
    article_id = await _ingest(client, source, 1)
    first = await client.get(f"/v1/articles/{article_id}")
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    second = await client.get(f"/v1/articles/{article_id}")
    assert second.headers["x-cache"] == "hit" and second.content == first.content
    assert second.headers["content-type"].startswith("application/json")
    not_modified = await client.get(f"/v1/articles/{article_id}", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    listing = await client.get("/v1/articles", params={"source": source, "limit": 5})
    assert listing.status_code == 200
    await _ingest(client, source, 2)
    relisted = await client.get(
        "/v1/articles",
        params={"source": source, "limit": 5},
        headers={"If-None-Match": listing.headers["etag"]},
    )
    assert relisted.status_code == 200 and relisted.headers["etag"] != listing.headers["etag"]
    scale = await client.get("/v1/meta/sentiment-scale")
    assert scale.headers["cache-control"].startswith("public")


async def test_persisted_operations(
    client: httpx.AsyncClient, settings: Settings, pool: asyncpg.Pool
) -> None:
    document = "{ sentimentScale { label } }"
    sha = hashlib.sha256(document.encode()).hexdigest()
    hash_only = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha}}}
    unknown = await client.post("/graphql", json=hash_only)
    assert unknown.json()["errors"][0]["extensions"]["code"] == "persisted_query_not_found"
    mismatch = await client.post("/graphql", json=dict(hash_only, query="{ sentimentScale { min } }"))
    assert mismatch.json()["errors"][0]["extensions"]["code"] == "persisted_query_hash_mismatch"
    # APQ: hash and text once, then the hash alone.
    registered = await client.post("/graphql", json=dict(hash_only, query=document))
    assert registered.status_code == 200 and "errors" not in registered.json()
    again = await client.post("/graphql", json=hash_only)
    assert again.json() == registered.json()

    # A key restricted to registered documents: only trusted (operator-registered) ones run.
    deps = Deps(settings=settings, pool=pool)
    issued = await create_key(
        deps, name="front-end", scopes=["read"], rate_per_min=100_000, persisted_only=True
    )
    headers = {"Authorization": f"Bearer {issued.secret}"}
    adhoc = await client.post("/graphql", json={"query": document}, headers=headers)
    assert adhoc.json()["errors"][0]["extensions"]["code"] == "persisted_query_required"
    automatic = await client.post("/graphql", json=hash_only, headers=headers)
    assert automatic.json()["errors"][0]["extensions"]["code"] == "persisted_query_required"
    trusted_doc = "{ sentimentScale { label polarity } }"
    # What an operator's deploy step does (`python -m api operations register`): trusted documents.
    # A generous deadline: the assertion below is about where the document goes, not about how fast
    # Redis answers on a loaded machine (a 0.1 s stall made the store fall back to memory once in CI).
    redis_cache = Cache(
        create_client(settings.redis_url.get_secret_value()),
        breaker=CircuitBreaker(BreakerSettings(call_timeout_s=5.0)),
    )
    try:
        (stored,) = await register_trusted(
            Deps(settings=settings, pool=pool, cache=redis_cache), documents=[(trusted_doc, "scale")]
        )
        trusted_sha = stored.sha256
        assert trusted_sha == hashlib.sha256(trusted_doc.encode()).hexdigest()
        # Redis keeps nothing on disk: after a restart the allow-list comes back from Postgres.
        assert await redis_cache.redis.delete(keys.persisted_operation(trusted_sha)) == 1
    finally:
        await redis_cache.aclose()
    ok = await client.post(
        "/graphql",
        json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": trusted_sha}}},
        headers=headers,
    )
    assert ok.status_code == 200 and "errors" not in ok.json(), ok.text
    as_text = await client.post("/graphql", json={"query": trusted_doc}, headers=headers)
    assert as_text.status_code == 200 and "errors" not in as_text.json()
