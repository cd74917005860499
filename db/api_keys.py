"""SQL for API keys: create, find by public key id, list, revoke. Only hashes are stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored key without its secret; ``key_hash`` is kept for the constant-time comparison."""

    id: int
    key_id: str
    key_hash: bytes
    name: str
    scopes: frozenset[str]
    rate_per_min: int | None
    persisted_only: bool
    created_at: datetime
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


_COLUMNS = "id, key_id, key_hash, name, scopes, rate_per_min, persisted_only, created_at, revoked_at"


def _key(row: asyncpg.Record) -> ApiKey:
    return ApiKey(
        id=row["id"],
        key_id=row["key_id"],
        key_hash=bytes(row["key_hash"]),
        name=row["name"],
        scopes=frozenset(row["scopes"]),
        rate_per_min=row["rate_per_min"],
        persisted_only=row["persisted_only"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


_INSERT = f"""
insert into api_keys (key_id, key_hash, name, scopes, rate_per_min, persisted_only)
values ($1, $2, $3, $4::text[], $5, $6)
returning {_COLUMNS}
"""


async def create_api_key(
    conn: asyncpg.Connection,
    *,
    key_id: str,
    key_hash: bytes,
    name: str,
    scopes: list[str],
    rate_per_min: int | None,
    persisted_only: bool = False,
) -> ApiKey:
    row = await conn.fetchrow(_INSERT, key_id, key_hash, name, scopes, rate_per_min, persisted_only)
    assert row is not None
    return _key(row)


_GET_BY_KEY_ID = f"select {_COLUMNS} from api_keys where key_id = $1"


async def get_api_key(conn: asyncpg.Connection, *, key_id: str) -> ApiKey | None:
    row = await conn.fetchrow(_GET_BY_KEY_ID, key_id)
    return _key(row) if row is not None else None


_LIST = f"select {_COLUMNS} from api_keys order by id"


async def list_api_keys(conn: asyncpg.Connection) -> list[ApiKey]:
    return [_key(r) for r in await conn.fetch(_LIST)]


_REVOKE = f"""
update api_keys set revoked_at = coalesce(revoked_at, now())
where key_id = $1
returning {_COLUMNS}
"""


async def revoke_api_key(conn: asyncpg.Connection, *, key_id: str) -> ApiKey | None:
    row = await conn.fetchrow(_REVOKE, key_id)
    return _key(row) if row is not None else None
