"""SQL for reference tickers and their aliases."""

from __future__ import annotations

import re
from collections.abc import Sequence

import asyncpg
import orjson

from core.records import Ticker, TickerRef

_COLUMNS = "symbol, name, exchange, sector, industry, aliases, ambiguous_aliases"

_UPSERT = """
insert into tickers (symbol, name, exchange, sector, industry, aliases, ambiguous_aliases)
select t.symbol, t.name, t.exchange, t.sector, t.industry,
       array(select jsonb_array_elements_text(t.aliases_json::jsonb)),
       array(select jsonb_array_elements_text(t.ambiguous_json::jsonb))
from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
    as t(symbol, name, exchange, sector, industry, aliases_json, ambiguous_json)
on conflict (symbol) do update set
    name = excluded.name, exchange = excluded.exchange, sector = excluded.sector,
    industry = excluded.industry, aliases = excluded.aliases, ambiguous_aliases = excluded.ambiguous_aliases,
    updated_at = now()
where (tickers.name, tickers.exchange, tickers.sector, tickers.industry, tickers.aliases,
       tickers.ambiguous_aliases)
    is distinct from (excluded.name, excluded.exchange, excluded.sector, excluded.industry, excluded.aliases,
                      excluded.ambiguous_aliases)
"""

# Two statements on purpose: a data-modifying CTE and its outer insert share one snapshot, so the
# insert would skip rows the delete is about to remove.
_DELETE_ALIASES = "delete from ticker_aliases where symbol = any($1::text[])"
_INSERT_ALIASES = """
insert into ticker_aliases (alias, symbol)
select distinct lower(alias), symbol from unnest($1::text[], $2::text[]) as t(alias, symbol)
on conflict do nothing
"""


async def upsert_tickers(conn: asyncpg.Connection, *, tickers: Sequence[TickerRef]) -> int:
    """Insert or update reference tickers and rebuild their alias rows; returns rows changed."""
    async with conn.transaction():
        status = await conn.execute(
            _UPSERT,
            [t.symbol for t in tickers],
            [t.name for t in tickers],
            [t.exchange for t in tickers],
            [t.sector for t in tickers],
            [t.industry for t in tickers],
            [orjson.dumps(list(t.aliases)).decode() for t in tickers],
            [orjson.dumps(list(t.ambiguous_aliases)).decode() for t in tickers],
        )
        alias_rows = [(alias, t.symbol) for t in tickers for alias in {t.name, t.symbol, *t.aliases}]
        await conn.execute(_DELETE_ALIASES, [t.symbol for t in tickers])
        await conn.execute(
            _INSERT_ALIASES,
            [a for a, _ in alias_rows],
            [s for _, s in alias_rows],
        )
    return int(status.split()[-1])


def _ticker(row: asyncpg.Record) -> Ticker:
    return Ticker(
        symbol=row["symbol"],
        name=row["name"],
        exchange=row["exchange"],
        sector=row["sector"],
        industry=row["industry"],
        aliases=tuple(row["aliases"]),
    )


_GET_MANY = f"select {_COLUMNS} from tickers where symbol = any($1::text[])"


async def get_tickers(conn: asyncpg.Connection, *, symbols: Sequence[str]) -> dict[str, Ticker]:
    rows = await conn.fetch(_GET_MANY, list(symbols))
    return {r["symbol"]: _ticker(r) for r in rows}


_LIST = f"""
select {_COLUMNS} from tickers
where ($1::text is null or symbol > $1)
  and ($2::text is null
       or symbol like $3
       or lower(name) like $4
       or exists (select 1 from ticker_aliases a where a.symbol = tickers.symbol and a.alias like $4))
order by symbol
limit $5
"""


def _escape_like(text: str) -> str:
    return re.sub(r"([\\%_])", r"\\\1", text)


async def list_tickers(
    conn: asyncpg.Connection, *, search: str | None, after_symbol: str | None, limit: int
) -> list[Ticker]:
    prefix = _escape_like(search.strip()) if search else None
    rows = await conn.fetch(
        _LIST,
        after_symbol,
        prefix,
        f"{prefix.upper()}%" if prefix else None,
        f"{prefix.lower()}%" if prefix else None,
        limit,
    )
    return [_ticker(r) for r in rows]


_ALL_REFS = f"select {_COLUMNS} from tickers order by symbol"


async def list_ticker_refs(conn: asyncpg.Connection) -> list[TickerRef]:
    """The whole reference table, as entity linking takes it."""
    rows = await conn.fetch(_ALL_REFS)
    return [
        TickerRef(
            symbol=r["symbol"],
            name=r["name"],
            aliases=tuple(r["aliases"]),
            exchange=r["exchange"],
            sector=r["sector"],
            industry=r["industry"],
            ambiguous_aliases=tuple(r["ambiguous_aliases"]),
        )
        for r in rows
    ]


_UNKNOWN = (
    "select s from unnest($1::text[]) as s where not exists (select 1 from tickers t where t.symbol = s)"
)


async def unknown_symbols(conn: asyncpg.Connection, *, symbols: Sequence[str]) -> list[str]:
    rows = await conn.fetch(_UNKNOWN, list(symbols))
    return [r["s"] for r in rows]
