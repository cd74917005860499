"""SQL for Idempotency-Key records: claim a key for one request, store its response, replay it.

The primary key (api_key_id, key) is the lock: of N concurrent claims exactly one insert wins, the
others see its row. A record expires ``ttl_s`` after creation; an in-flight record whose request
died with its process is taken over once ``stale_s`` have passed since it was claimed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import asyncpg


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    request_hash: bytes
    status: Literal["in_flight", "done"]
    response_status: int | None
    response_headers: list[list[str]] | None
    response_body: bytes | None


_CLEAR = """
delete from idempotency_keys
where api_key_id = $1 and key = $2
  and (created_at < now() - make_interval(secs => $3)
       or (status = 'in_flight' and locked_at < now() - make_interval(secs => $4)))
"""
_INSERT = """
insert into idempotency_keys (api_key_id, key, request_hash) values ($1, $2, $3)
on conflict do nothing
returning 1
"""
_GET = """
select request_hash, status, response_status, response_headers, response_body
from idempotency_keys where api_key_id = $1 and key = $2
"""


async def claim_idempotency_key(
    conn: asyncpg.Connection,
    *,
    api_key_id: int,
    key: str,
    request_hash: bytes,
    ttl_s: float,
    stale_s: float,
) -> IdempotencyRecord | None:
    """None when this request now owns the key; else the record that another request holds."""
    await conn.execute(_CLEAR, api_key_id, key, ttl_s, stale_s)
    if await conn.fetchval(_INSERT, api_key_id, key, request_hash) is not None:
        return None
    row = await conn.fetchrow(_GET, api_key_id, key)
    if row is None:
        # Expired and deleted between our insert and our read: report it as still in flight.
        return IdempotencyRecord(request_hash, "in_flight", None, None, None)
    return IdempotencyRecord(
        request_hash=bytes(row["request_hash"]),
        status=row["status"],
        response_status=row["response_status"],
        response_headers=row["response_headers"],
        response_body=bytes(row["response_body"]) if row["response_body"] is not None else None,
    )


_COMPLETE = """
update idempotency_keys
set status = 'done', response_status = $3, response_headers = $4::jsonb, response_body = $5
where api_key_id = $1 and key = $2 and status = 'in_flight'
"""


async def complete_idempotency_key(
    conn: asyncpg.Connection,
    *,
    api_key_id: int,
    key: str,
    status: int,
    headers: list[list[str]],
    body: bytes,
) -> None:
    await conn.execute(_COMPLETE, api_key_id, key, status, headers, body)


_RELEASE = "delete from idempotency_keys where api_key_id = $1 and key = $2 and status = 'in_flight'"


async def release_idempotency_key(conn: asyncpg.Connection, *, api_key_id: int, key: str) -> None:
    await conn.execute(_RELEASE, api_key_id, key)


_PURGE = "delete from idempotency_keys where created_at < now() - make_interval(secs => $1)"


async def purge_idempotency_keys(conn: asyncpg.Connection, *, ttl_s: float) -> int:
    status: str = await conn.execute(_PURGE, ttl_s)
    return int(status.split()[-1])
