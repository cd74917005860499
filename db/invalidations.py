"""Lost cache bumps announced over Postgres: a writer that could not reach Redis tells every API process,
which still may, to heal the cache on its behalf."""

from __future__ import annotations

from typing import Final

import asyncpg

CHANNEL: Final = "tt_cache_bump_lost"


async def announce_lost_bump(conn: asyncpg.Connection) -> None:
    await conn.execute("select pg_notify($1, '')", CHANNEL)
