"""Real (float4) columns read the same through asyncpg and through SQL-rendered JSON.

``db.pool`` decodes a real to the shortest decimal that reads back as it; ``db._json_text`` renders
a real with Postgres' own text. Both must agree byte for byte (after orjson's spelling) over the whole
range scores can take and the odd corners around it, or compiled GraphQL reads would differ from the
field-by-field path.
"""

from __future__ import annotations

import random
import struct

import asyncpg
import orjson

from db._json_text import real

_F = struct.Struct("!f")


def _reals(n: int) -> list[float]:
    rng = random.Random(20261201)
    values = [rng.uniform(-1, 1) for _ in range(n)]
    values += [rng.uniform(-1e-3, 1e-3) for _ in range(n // 4)]
    # Every bit pattern of a real in [-1e6, 1e6] is fair game: draw the bits directly too.
    bits = [rng.getrandbits(32) for _ in range(n)]
    values += [_F.unpack(struct.pack("!I", b))[0] for b in bits]
    values += [0.0, 1.0, -1.0, 0.5, 0.425, 0.1, 1e-4, 9.9999e-5, 1e-5, 1.5e-5, 3.2e-6, 123456.0, 999999.0]
    return [_F.unpack(_F.pack(v))[0] for v in values if abs(v) < 1e6 and v == v]


async def test_sql_rendering_of_reals_matches_the_decoded_value(pool: asyncpg.Pool) -> None:
    values = _reals(3_000)
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            f"select v, {real('v')} as rendered"
            " from unnest($1::real[]) with ordinality as u(v, n) order by n",
            values,
        )
    mismatches = [
        (r["v"], r["rendered"], orjson.dumps(r["v"]).decode())
        for r in rows
        if r["rendered"] != orjson.dumps(r["v"]).decode()
    ]
    assert not mismatches, mismatches[:10]
    assert len(rows) == len(values) > 5_000


async def test_decoded_reals_read_back_as_the_stored_real(pool: asyncpg.Pool) -> None:
    values = _reals(1_000)
    async with pool.acquire() as conn:
        decoded = await conn.fetchval("select $1::real[]", values)
        as_text = await conn.fetchval(
            "select array_agg(v::text order by n) from unnest($1::real[]) with ordinality as u(v, n)", values
        )
    for stored, got, text in zip(values, decoded, as_text, strict=True):
        assert _F.unpack(_F.pack(got))[0] == stored
        # The shortest such decimal: what Postgres prints for the real.
        assert got == float(text), (stored, got, text)
