"""The asyncpg pool: codecs, timeouts, and translation of connection failures into ``Unavailable``."""

from __future__ import annotations

import contextlib
import functools
import struct
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import orjson

from core.errors import Unavailable

Pool = asyncpg.Pool
Connection = asyncpg.Connection

# Connection-level failures that mean "Postgres is not there right now", not "your query is wrong".
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    ConnectionError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionFailureError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InterfaceError,
)


def _encode_jsonb(value: Any) -> bytes:
    return b"\x01" + orjson.dumps(value)


def _decode_jsonb(data: bytes) -> Any:
    return orjson.loads(data[1:])


_FLOAT4 = struct.Struct("!f")


def _encode_float4(value: float) -> bytes:
    return _FLOAT4.pack(value)


# Reads repeat the same rows (and so the same reals) all day; finding the shortest decimal takes up to
# three formatting attempts, a cache hit one dictionary look-up.
@functools.lru_cache(maxsize=1 << 16)
def _decode_float4(data: bytes) -> float:
    """The shortest decimal that reads back as the same real: what Postgres prints for it.

    Scores are stored as real; widening 0.425f to a double gives 0.42500001192092896, noise clients
    would see in JSON. Six significant digits always survive a real; nine always identify one. Printing
    what Postgres prints also lets SQL that renders JSON (``db.articles_json``) use ``real::text``.
    """
    value: float = _FLOAT4.unpack(data)[0]
    for digits in (6, 7, 8):
        text = f"{value:.{digits}g}"
        if _FLOAT4.unpack(_FLOAT4.pack(float(text)))[0] == value:
            return float(text)
    return float(f"{value:.9g}")


async def init_connection(conn: asyncpg.Connection) -> None:
    # Binary codecs: a text codec breaks COPY (asyncpg#604).
    await conn.set_type_codec(
        "jsonb", schema="pg_catalog", format="binary", encoder=_encode_jsonb, decoder=_decode_jsonb
    )
    await conn.set_type_codec(
        "float4", schema="pg_catalog", format="binary", encoder=_encode_float4, decoder=_decode_float4
    )


async def keep_session(conn: asyncpg.Connection) -> None:
    """Release without asyncpg's reset query (``RESET ALL; UNLISTEN *; CLOSE ALL; ...``).

    That query is a second round trip on every release, a third of the database time of a one-row
    read. Nothing here leaves session state on a pooled connection (no session-level SET, LISTEN only
    on the worker's own connection, advisory locks released in ``finally``), and asyncpg still rolls
    back an open transaction before this runs.
    """


async def create_pool(
    dsn: str, *, min_size: int = 2, max_size: int = 10, command_timeout: float | None = 30.0
) -> asyncpg.Pool:
    try:
        pool = await asyncpg.create_pool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            init=init_connection,
            command_timeout=command_timeout,
            timeout=5.0,
            max_inactive_connection_lifetime=60.0,
            reset=keep_session,
            # A read's statement renders JSON in one big expression; past jit_above_cost (a scan-heavy
            # filter on a large table) LLVM compiling it took 0.7 s for a 10,000-row query. API
            # statements are short: compile time never pays back.
            server_settings={"jit": "off"},
        )
    except CONNECTION_ERRORS as exc:
        raise Unavailable(f"database unreachable: {type(exc).__name__}") from exc
    assert pool is not None
    return pool


@contextlib.asynccontextmanager
async def open_pool(dsn: str, *, min_size: int = 1, max_size: int = 4) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(dsn, min_size=min_size, max_size=max_size)
    try:
        yield pool
    finally:
        await pool.close()


@contextlib.asynccontextmanager
async def translate_errors() -> AsyncIterator[None]:
    """Turn lost or refused connections into ``Unavailable`` so transports answer 503, not 500."""
    try:
        yield
    except CONNECTION_ERRORS as exc:
        raise Unavailable(f"database unavailable: {type(exc).__name__}") from exc


async def ping(conn: asyncpg.Connection, *, timeout_s: float) -> None:
    """A round trip to Postgres; raises on failure or when it takes longer than ``timeout_s`` seconds."""
    await conn.fetchval("select 1", timeout=timeout_s)
