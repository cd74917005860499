"""SQL for typed market events extracted from articles (newest model version only on reads)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from core.records import Event, EventFilter, Highlight
from db._json_text import json_list

_COLUMNS = """
    e.id, e.article_id, e.type, e.symbol, e.entity, e.attributes, e.evidence, e.confidence, e.model,
    e.published_at
"""


def _event(row: asyncpg.Record) -> Event:
    ev = row["evidence"]
    evidence = (
        Highlight(
            text=ev["text"],
            section=ev.get("section", "body"),
            start=ev["start"],
            end=ev["end"],
            score=ev["score"],
        )
        if isinstance(ev, dict)
        else None
    )
    return Event(
        id=row["id"],
        article_id=row["article_id"],
        type=row["type"],
        symbol=row["symbol"],
        entity=row["entity"],
        attributes=dict(row["attributes"]),
        evidence=evidence,
        confidence=row["confidence"],
        model=row["model"],
        published_at=row["published_at"],
    )


_FOR_ARTICLES = f"""
select {_COLUMNS}
from events e join articles a on a.id = e.article_id and e.model = a.sentiment_model
where e.article_id = any($1::bigint[])
order by e.article_id, e.ordinal
"""


def readable(e: str) -> str:
    """SQL: whether ``_event`` reads row ``e`` without failing (a renderer that skips a column still
    owes the caller the error Python would raise on it: it must answer NULL where this is false)."""
    return (
        f"(jsonb_typeof({e}.attributes) = 'object' and (jsonb_typeof({e}.evidence) is distinct from 'object'"
        f" or {e}.evidence ?& array['text', 'start', 'end', 'score']))"
    )


def events_json(r: str, event: str) -> str:
    """SQL: the JSON array of the events of article row ``r`` (with ``id`` and ``sentiment_model``) in
    ``list_events_for_articles``' order, each rendered by ``event``, an expression over ``e``; NULL
    when one renders NULL."""
    source = f"from events e where e.article_id = {r}.id and e.model = {r}.sentiment_model"
    return json_list(f"select e.ordinal as o, {event} as j", "x.o", source)


async def list_events_for_articles(
    conn: asyncpg.Connection, *, article_ids: Sequence[int]
) -> dict[int, list[Event]]:
    rows = await conn.fetch(_FOR_ARTICLES, list(article_ids))
    out: dict[int, list[Event]] = {i: [] for i in article_ids}
    for r in rows:
        out[r["article_id"]].append(_event(r))
    return out


async def list_events(
    conn: asyncpg.Connection, *, filter: EventFilter, limit: int, after: tuple[datetime, int] | None
) -> list[Event]:
    """Newest first, keyset on (published_at, id)."""
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    clauses = ["e.model = a.sentiment_model"]
    if filter.types:
        clauses.append(f"e.type = any({arg(list(filter.types))}::text[])")
    if filter.tickers:
        clauses.append(f"e.symbol = any({arg(list(filter.tickers))}::text[])")
    if filter.published_from is not None:
        clauses.append(f"e.published_at >= {arg(filter.published_from)}")
    if filter.published_to is not None:
        clauses.append(f"e.published_at < {arg(filter.published_to)}")
    if filter.article_id is not None:
        clauses.append(f"e.article_id = {arg(filter.article_id)}")
    if after is not None:
        clauses.append(f"(e.published_at, e.id) < ({arg(after[0])}, {arg(after[1])})")
    sql = (
        f"select {_COLUMNS} from events e join articles a on a.id = e.article_id"
        f" where {' and '.join(clauses)} order by e.published_at desc, e.id desc limit {arg(limit)}"
    )
    return [_event(r) for r in await conn.fetch(sql, *args)]
