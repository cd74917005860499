"""Migrations apply in order, once, and concurrently without clashing."""

from __future__ import annotations

import asyncio

import asyncpg

from db.migrate import list_migrations, migrate


async def test_migrations_are_recorded(conn: asyncpg.Connection) -> None:
    versions = [r["version"] for r in await conn.fetch("select version from schema_migrations order by 1")]
    assert versions == [m.version for m in list_migrations()]


async def test_concurrent_migrate_is_safe(database_url: str) -> None:
    conns = [await asyncpg.connect(database_url) for _ in range(3)]
    try:
        results = await asyncio.gather(*(migrate(c) for c in conns))
    finally:
        for c in conns:
            await c.close()
    assert results == [[], [], []]
