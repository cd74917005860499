"""What every pooled connection is set up with."""

from __future__ import annotations

import asyncpg


async def test_pooled_connections_never_jit_compile(pool: asyncpg.Pool) -> None:
    # The renderers' statements are one large expression each: LLVM compile time would dwarf them.
    assert await pool.fetchval("show jit") == "off"
