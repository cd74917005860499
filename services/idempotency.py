"""Idempotency-Key semantics (Stripe's, and draft-ietf-httpapi-idempotency-key-header).

Records live in Postgres, beside the writes they protect: a key survives a Redis flush, and when
Postgres is down the write could not happen anyway. Scoped per API key; kept for 24 hours.
- same key, same request, finished  -> the first response, replayed;
- same key, same request, in flight -> ``in_flight`` (409);
- same key, another request         -> ``mismatch`` (422).
Only answers of requests that were carried out (2xx, 3xx) are kept. As with Stripe, a request refused
for its input (4xx: validation, unknown ticker, over the rate limit) is not kept, so the client may fix
it and retry under the same key; nor are 5xx, which the client may retry as they are.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Literal

from db import idempotency as db_idempotency
from services.deps import Deps

TTL_S = 24 * 3600.0
# A request that has held a key this long without finishing died with its process.
STALE_S = 60.0
# Expired records are swept by whichever request comes first after this interval, per process.
PURGE_EVERY_S = 3600.0
_PURGED_AT = "idempotency_purged_at"

Outcome = Literal["proceed", "replay", "in_flight", "mismatch"]


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    headers: list[list[str]]
    body: bytes


def fingerprint(*, method: str, path: str, query_string: bytes, body: bytes) -> bytes:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query_string, body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.digest()


def keeps(status: int) -> bool:
    return 200 <= status < 400


async def begin(
    deps: Deps, *, api_key_id: int, key: str, request_hash: bytes
) -> tuple[Outcome, StoredResponse | None]:
    async with deps.connection() as conn:
        now = time.monotonic()
        if now - float(deps.extras.get(_PURGED_AT, -PURGE_EVERY_S)) >= PURGE_EVERY_S:
            deps.extras[_PURGED_AT] = now
            await db_idempotency.purge_idempotency_keys(conn, ttl_s=TTL_S)
        held = await db_idempotency.claim_idempotency_key(
            conn, api_key_id=api_key_id, key=key, request_hash=request_hash, ttl_s=TTL_S, stale_s=STALE_S
        )
    if held is None:
        return "proceed", None
    if held.request_hash != request_hash:
        return "mismatch", None
    if held.status == "in_flight" or held.response_status is None:
        return "in_flight", None
    stored = StoredResponse(held.response_status, held.response_headers or [], held.response_body or b"")
    return "replay", stored


async def finish(deps: Deps, *, api_key_id: int, key: str, response: StoredResponse) -> None:
    async with deps.connection() as conn:
        if keeps(response.status):
            await db_idempotency.complete_idempotency_key(
                conn,
                api_key_id=api_key_id,
                key=key,
                status=response.status,
                headers=response.headers,
                body=response.body,
            )
        else:
            await db_idempotency.release_idempotency_key(conn, api_key_id=api_key_id, key=key)


async def abandon(deps: Deps, *, api_key_id: int, key: str) -> None:
    async with deps.connection() as conn:
        await db_idempotency.release_idempotency_key(conn, api_key_id=api_key_id, key=key)


async def purge_expired(deps: Deps) -> int:
    async with deps.connection() as conn:
        return await db_idempotency.purge_idempotency_keys(conn, ttl_s=TTL_S)
