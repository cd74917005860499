"""Migrations apply in order, once, and concurrently without clashing."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from db.migrate import list_migrations, migrate
from db.scratch import with_database
from tests.conftest import SERVER_URL


async def test_migrations_are_recorded(conn: asyncpg.Connection) -> None:
    versions = [r["version"] for r in await conn.fetch("select version from schema_migrations order by 1")]
    assert versions == [m.version for m in list_migrations()]


async def test_concurrent_migrate_on_a_fresh_database(pool: asyncpg.Pool) -> None:
    name = f"tickertone_mig_{uuid.uuid4().hex[:8]}"
    await pool.execute(f'create database "{name}"')
    url = with_database(SERVER_URL, name)
    conns = [await asyncpg.connect(url) for _ in range(3)]
    try:
        results = await asyncio.gather(*(migrate(c) for c in conns))
    finally:
        for c in conns:
            await c.close()
        await pool.execute(f'drop database "{name}" with (force)')
    everything = [m.name for m in list_migrations()]
    assert sorted(results, key=len) == [[], [], everything]
