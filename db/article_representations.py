"""SQL that renders articles in their REST representation (``api.representations.article``) as JSON text.

One statement answers a keyset page of articles (the filters and keyset of ``db.articles.page_scan``) or
one article by id, with its tickers in ``db.article_tickers``' order and its events in ``db.events``'
order, spelled as ``api._responses`` spells the Python path's dicts: keys in the same order, jsonb read
back as asyncpg's codec reads it (integers stay integers), timestamps with ``Z`` (``OPT_UTC_Z``).

Anything the Python path would spell otherwise or refuse (a malformed highlight, attributes that are
not a flat object, a number orjson might write differently) is SQL NULL, which spreads to the whole
answer: the functions then return None and the caller answers the Python way, with its own errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

import asyncpg

from core.records import ArticleFilter, Order
from db._json_text import (
    boolean,
    json_list,
    json_members,
    jsonb_flat_object,
    jsonb_objects,
    jsonb_scalar,
    nullable,
    real,
    string,
    timestamp,
)
from db.articles import ARTICLE_COLUMNS, SqlParams, page_scan
from db.events import events_json

_HIGHLIGHT_KEYS: Final = ("text", "section", "start", "end", "score")


def _utc(expr: str) -> str:
    return timestamp(expr, utc="Z")


def _highlight(h: str) -> str:
    """``api.representations.highlight`` of jsonb object ``h``, read as ``db.article_tickers`` reads it."""
    text, section, start, end, score = (jsonb_scalar(f"{h} -> '{key}'") for key in _HIGHLIGHT_KEYS)
    section = f"(case when {h} ? 'section' then {section} else '\"body\"' end)"
    return json_members(
        [("text", text), ("section", section), ("start", start), ("end", end), ("score", score)]
    )


def _highlights(column: str) -> str:
    return jsonb_objects(column, _highlight("h.h"))


def _ticker(t: str) -> str:
    # A linked ticker has no sentiment until scored: null unless score and label are both there.
    scored = f"{t}.score is not null and {t}.label is not null"
    sentiment = json_members(
        [
            ("score", real(f"{t}.score")),
            ("label", string(f"{t}.label")),
            ("confidence", nullable(f"{t}.confidence", real(f"{t}.confidence"))),
            ("model", nullable(f"{t}.model", string(f"{t}.model"))),
        ]
    )
    return json_members(
        [
            ("symbol", string(f"{t}.symbol")),
            ("name", string("k.name")),
            ("explicit", boolean(f"{t}.explicit")),
            ("relevance", nullable(f"{t}.relevance", real(f"{t}.relevance"))),
            ("sentiment", f"(case when {scored} then {sentiment} else 'null' end)"),
            ("highlights", _highlights(f"{t}.highlights")),
        ]
    )


def _tickers(r: str) -> str:
    source = f"from article_tickers t join tickers k on k.symbol = t.symbol where t.article_id = {r}.id"
    return json_list(
        f"select t.relevance as r, t.symbol as s, {_ticker('t')} as j", "x.r desc nulls last, x.s", source
    )


def _event(e: str) -> str:
    # db.events reads evidence only when it is an object: anything else is no evidence.
    is_object = f"jsonb_typeof({e}.evidence) = 'object'"
    return json_members(
        [
            ("id", f"{e}.id::text"),
            ("article_id", f"{e}.article_id::text"),
            ("type", string(f"{e}.type")),
            ("symbol", nullable(f"{e}.symbol", string(f"{e}.symbol"))),
            ("entity", nullable(f"{e}.entity", string(f"{e}.entity"))),
            ("attributes", jsonb_flat_object(f"{e}.attributes")),
            ("evidence", f"(case when {is_object} then {_highlight(f'{e}.evidence')} else 'null' end)"),
            ("confidence", real(f"{e}.confidence")),
            ("model", string(f"{e}.model")),
            ("published_at", _utc(f"{e}.published_at")),
        ]
    )


def _sentiment(r: str) -> str:
    members = json_members(
        [
            ("score", real(f"{r}.sentiment_score")),
            ("label", nullable(f"{r}.sentiment_label", string(f"{r}.sentiment_label"))),
            ("confidence", nullable(f"{r}.sentiment_confidence", real(f"{r}.sentiment_confidence"))),
            ("model", nullable(f"{r}.sentiment_model", string(f"{r}.sentiment_model"))),
            ("scored_at", nullable(f"{r}.scored_at", _utc(f"{r}.scored_at"))),
        ]
    )
    return nullable(f"{r}.sentiment_score", members)


def article_json(r: str, *, include_body: bool) -> str:
    """The JSON text of one article read from row ``r`` with ``db.articles.ARTICLE_COLUMNS``."""
    members = [
        ("id", f"{r}.id::text"),
        ("source", string(f"{r}.source")),
        ("external_id", nullable(f"{r}.external_id", string(f"{r}.external_id"))),
        ("url", nullable(f"{r}.url", string(f"{r}.url"))),
        ("title", string(f"{r}.title")),
        ("summary", nullable(f"{r}.summary", string(f"{r}.summary"))),
    ]
    if include_body:
        members.append(("body", string(f"{r}.body")))
    members += [
        ("authors", f"array_to_json({r}.authors)::text"),
        ("published_at", _utc(f"{r}.published_at")),
        ("language", string(f"{r}.language")),
        ("status", string(f"{r}.status")),
        ("ingested_at", _utc(f"{r}.ingested_at")),
        ("sentiment", _sentiment(r)),
        ("tickers", _tickers(r)),
        ("events", events_json(r, _event("e"))),
    ]
    return json_members(members)


_ARTICLE: Final = {body: article_json("p", include_body=body) for body in (False, True)}
_GET: Final = (
    f"select {_ARTICLE[True]} from (select {ARTICLE_COLUMNS} from articles a"
    " join sources s on s.id = a.source_id where a.id = $1) p"
)


async def get_article_json(conn: asyncpg.Connection, *, article_id: int) -> str | None:
    """One article with its body, or None when it does not exist or only Python can render it."""
    text: str | None = await conn.fetchval(_GET, article_id)
    return text


@dataclass(frozen=True, slots=True)
class ArticlesJson:
    """A page of articles as the JSON text of an array, and the keyset position of its last article
    when another page follows."""

    data: str
    last: tuple[datetime, int] | None


async def list_articles_json(
    conn: asyncpg.Connection,
    *,
    filter: ArticleFilter,
    order: Order,
    limit: int,
    after: tuple[datetime, int] | None,
    include_body: bool,
) -> ArticlesJson | None:
    """The ``limit`` articles of a page, as ``db.articles.list_articles`` reads them, rendered (one more
    row is read only to tell whether another page follows); None when only Python can render them."""
    q = SqlParams()
    scan = page_scan(q, filter=filter, order=order, after=after)
    limit = int(limit)
    rows = (
        f"select p.n, p.published_at, p.id, case when p.n <= {limit} then {_ARTICLE[include_body]} end as j"
        f" from ({scan.numbered(ARTICLE_COLUMNS, limit + 1)}) p offset 0"
    )
    sql = (
        f"select case when count(p.j) = count(*) filter (where p.n <= {limit})"
        " then '[' || coalesce(string_agg(p.j, ',' order by p.n), '') || ']' end as data,"
        f" count(*) > {limit} as more,"
        f" max(p.published_at) filter (where p.n = {limit}) as last_published_at,"
        f" max(p.id) filter (where p.n = {limit}) as last_id"
        f" from ({rows}) p"
    )
    row = await conn.fetchrow(sql, *q.args)
    if row is None or row["data"] is None:
        return None
    last = (row["last_published_at"], row["last_id"]) if row["more"] else None
    return ArticlesJson(data=row["data"], last=last)
