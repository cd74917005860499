"""SQL for trusted persisted GraphQL operations (sha256 of the document -> the document)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True, slots=True)
class PersistedOperation:
    sha256: str
    document: str
    name: str | None
    created_at: datetime


_COLUMNS = "sha256, document, name, created_at"


def _from_row(row: asyncpg.Record) -> PersistedOperation:
    return PersistedOperation(
        sha256=row["sha256"], document=row["document"], name=row["name"], created_at=row["created_at"]
    )


async def upsert_operations(
    conn: asyncpg.Connection, *, operations: Sequence[tuple[str, str, str | None]]
) -> list[PersistedOperation]:
    """Store (sha256, document, name) rows; registering a document again keeps it and updates its name."""
    rows = await conn.fetch(
        f"""insert into persisted_operations (sha256, document, name)
            select * from unnest($1::text[], $2::text[], $3::text[])
            on conflict (sha256) do update set name = coalesce(excluded.name, persisted_operations.name)
            returning {_COLUMNS}""",
        [o[0] for o in operations],
        [o[1] for o in operations],
        [o[2] for o in operations],
    )
    return [_from_row(r) for r in rows]


async def get_operation(conn: asyncpg.Connection, *, sha256: str) -> str | None:
    document: str | None = await conn.fetchval(
        "select document from persisted_operations where sha256 = $1", sha256
    )
    return document


async def list_operations(conn: asyncpg.Connection) -> list[PersistedOperation]:
    rows = await conn.fetch(f"select {_COLUMNS} from persisted_operations order by created_at, sha256")
    return [_from_row(r) for r in rows]
