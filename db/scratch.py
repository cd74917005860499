"""Throwaway databases for tests and benchmarks: created on the server a DSN names, migrated, optionally
loaded with reference tickers, and dropped on exit whatever happened inside."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from core.records import TickerRef
from db.migrate import migrate
from db.tickers import upsert_tickers


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` (host, credentials and options kept)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


async def _admin(server_url: str, sql: str) -> None:
    admin = await asyncpg.connect(with_database(server_url, "postgres"), timeout=10)
    try:
        await admin.execute(sql)
    finally:
        await admin.close()


@contextlib.asynccontextmanager
async def scratch_database(
    server_url: str, prefix: str, *, tickers: Sequence[TickerRef] = ()
) -> AsyncIterator[str]:
    """Yield the DSN of a new database ``<prefix>_<random>`` with every migration applied."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    await _admin(server_url, f'create database "{name}"')
    url = with_database(server_url, name)
    try:
        conn = await asyncpg.connect(url, timeout=10)
        try:
            await migrate(conn)
            if tickers:
                await upsert_tickers(conn, tickers=tickers)
        finally:
            await conn.close()
        yield url
    finally:
        await _admin(server_url, f'drop database if exists "{name}" with (force)')
