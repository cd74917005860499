"""SQL that renders projected articles as JSON text in Postgres: one statement for a whole read query.

Each lookup of ``core.projections`` becomes a scalar subquery that builds its JSON by concatenating text,
so keys keep the reader's order and values are spelled as the Python path spells them with orjson:
strings escaped by ``to_json``, timestamps as ``datetime.isoformat()`` in UTC, real columns as the
shortest text that reads back as the same real (as ``db.pool`` decodes them), integral floats with
``.0``, cursors as ``services.cursors`` encodes them. Pages use the keyset scan of
``db.articles.page_scan``; ticker order is ``db.article_tickers``', event order ``db.events``'.

Nullable parts render ``null`` from the column's own nullness only. Anything the Python path would
refuse (a null in a non-null part, an unknown enum value, a malformed highlight, a missing article)
yields SQL NULL, which spreads through the concatenation (lists check their items) to the whole answer:
``fetch_data_json`` then returns None and the caller answers the slow way, with its proper error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

import asyncpg

from core.projections import CONSTANT, ArticleLookup, ArticlePageLookup, Lookup, Part
from db._json_text import (
    boolean,
    float8,
    json_list,
    json_object,
    jsonb_flat_object,
    jsonb_objects,
    literal,
    nullable,
    real,
    string,
    timestamp,
)
from db.articles import SqlParams, page_scan
from db.events import events_json, readable


def _key(part: Part | ArticleLookup | ArticlePageLookup) -> str:
    """The SQL literal of ``"key":``; GraphQL response keys are names, so nothing needs escaping."""
    return literal(f'"{part.key}":')


def _cursor(published_at: str, row_id: str) -> str:
    # services.cursors: micros = int(published_at.timestamp() * 1_000_000), in double arithmetic.
    micros = (
        f"trunc(((extract(epoch from {published_at}) * 1000000)::bigint::float8 / 1000000::float8)"
        " * 1000000::float8)::bigint"
    )
    encoded = f"encode(convert_to('k1:' || {micros} || ':' || {row_id}, 'UTF8'), 'base64')"
    return f"('\"' || rtrim(translate({encoded}, E'+/\\n', '-_'), '=') || '\"')"


def _labels(expr: str, part: Part) -> str:
    cases = " ".join(f"when {literal(v)} then {literal(_json_text(label))}" for v, label in part.labels)
    return f"(case {expr} {cases} end)" if cases else "null::text"


def _json_text(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    if any(ord(c) < 0x20 for c in escaped):
        raise ValueError("control characters in a constant")
    return f'"{escaped}"'


def _constant(part: Part) -> str:
    return literal(_json_text(part.value or ""))


# ------------------------------------------------------------------------------------------ articles

_SENTIMENT_COLUMNS: Final = {
    "score": "sentiment_score",
    "label": "sentiment_label",
    "confidence": "sentiment_confidence",
    "model": "sentiment_model",
    "scored_at": "scored_at",
}
_PLAIN_COLUMNS: Final = frozenset(
    {"external_id", "url", "title", "summary", "body", "authors", "language", "status"}
)


def article_columns(fields: Sequence[Part]) -> list[str]:
    """What a projected article reads from ``articles a`` (and ``sources s``), as select items."""
    columns = ["a.id", "a.published_at"]
    for part in fields:
        if part.name == "source":
            columns.append("s.name as source_name")
        elif part.name in _PLAIN_COLUMNS:
            columns.append(f"a.{part.name}")
        elif part.name == "sentiment":
            columns.extend(f"a.{c}" for c in _SENTIMENT_COLUMNS.values())
        elif part.name == "events":
            columns.append("a.sentiment_model")
    return list(dict.fromkeys(columns))


def needs_source(fields: Sequence[Part]) -> bool:
    return any(part.name == "source" for part in fields)


def _sentiment_object(part: Part, column: Callable[[str], str], *, scored_at: bool) -> str:
    """An overall (``scored_at``) or ticker sentiment object; ``column`` names a part's column."""
    members = []
    for sub in part.fields:
        if sub.name == CONSTANT:
            value = _constant(sub)
        elif sub.name in ("score", "confidence"):
            value = real(column(sub.name))
        elif sub.name in ("label", "model"):
            value = string(column(sub.name))
        elif sub.name == "scored_at" and scored_at:
            value = timestamp(column(sub.name))
        else:
            raise ValueError(f"unknown sentiment part {sub.name!r}")
        members.append(f"{_key(sub)} || {value}")
    return json_object(members)


def _sentiment(r: str, part: Part) -> str:
    rendered = _sentiment_object(part, lambda name: f"{r}.{_SENTIMENT_COLUMNS[name]}", scored_at=True)
    return nullable(f"{r}.sentiment_score", rendered)


def _highlight(h: str, part: Part) -> str:
    """A Highlight object read from the jsonb object ``h``, as ``db.article_tickers`` and ``db.events``
    read one."""
    members = []
    for sub in part.fields:
        if sub.name == CONSTANT:
            value = _constant(sub)
        elif sub.name == "text":
            value = f"(case when jsonb_typeof({h} -> 'text') = 'string' then ({h} -> 'text')::text end)"
        elif sub.name == "section":
            value = (
                f"(case when not ({h} ? 'section') then '\"body\"'"
                f" when jsonb_typeof({h} -> 'section') = 'string' then ({h} -> 'section')::text end)"
            )
        elif sub.name in ("start", "end"):
            # Python reads ints here; anything else (or past 32 bits) is left to the slow path.
            value = (
                f"(case when jsonb_typeof({h} -> '{sub.name}') = 'number'"
                f" and ({h} ->> '{sub.name}') ~ '^-?[0-9]{{1,9}}$' then {h} ->> '{sub.name}' end)"
            )
        elif sub.name == "score":
            score = float8(f"({h} ->> 'score')::float8")
            value = f"(case when jsonb_typeof({h} -> 'score') = 'number' then {score} end)"
        else:
            raise ValueError(f"unknown highlight part {sub.name!r}")
        members.append(f"{_key(sub)} || {value}")
    return json_object(members)


def _highlights(column: str, part: Part) -> str:
    return jsonb_objects(column, _highlight("h.h", part))


def _ticker_sentiment(part: Part) -> str:
    rendered = _sentiment_object(part, lambda name: f"t.{name}", scored_at=False)
    # schema.articles.ArticleTicker.from_record: a sentiment only when all four are there.
    present = (
        "t.score is not null and t.label is not null and t.confidence is not null and t.model is not null"
    )
    return f"(case when {present} then {rendered} else 'null' end)"


def _strings(expr: str) -> str:
    """A text[] as a JSON list of strings; NULL when it holds a null (a ``list[str]`` field refuses it)."""
    return f"(case when array_position({expr}, null) is null then array_to_json({expr})::text end)"


def _ticker(part: Part) -> str:
    """The reference Ticker of ``tickers k`` (``ArticleTicker.ticker``; the foreign key finds it)."""
    members = []
    for sub in part.fields:
        if sub.name == CONSTANT:
            value = _constant(sub)
        elif sub.name in ("symbol", "name"):
            value = string(f"k.{sub.name}")
        elif sub.name in ("exchange", "sector", "industry"):
            value = nullable(f"k.{sub.name}", string(f"k.{sub.name}"))
        elif sub.name == "aliases":
            value = _strings("k.aliases")
        else:
            raise ValueError(f"unknown ticker part {sub.name!r}")
        members.append(f"{_key(sub)} || {value}")
    return json_object(members)


def _tickers(r: str, part: Part) -> str:
    members = []
    with_name = False
    for sub in part.fields:
        if sub.name == CONSTANT:
            value = _constant(sub)
        elif sub.name == "symbol":
            value = string("t.symbol")
        elif sub.name == "name":
            with_name = True
            value = string("k.name")
        elif sub.name == "ticker":
            with_name = True
            value = _ticker(sub)
        elif sub.name == "explicit":
            value = boolean("t.explicit")
        elif sub.name == "relevance":
            value = nullable("t.relevance", real("t.relevance"))
        elif sub.name == "sentiment":
            value = _ticker_sentiment(sub)
        elif sub.name == "highlights":
            value = _highlights("t.highlights", sub)
        else:
            raise ValueError(f"unknown ticker part {sub.name!r}")
        members.append(f"{_key(sub)} || {value}")
    # db.article_tickers joins tickers; the foreign key makes the join a no-op unless a name is read.
    join = " join tickers k on k.symbol = t.symbol" if with_name else ""
    source = f"from article_tickers t{join} where t.article_id = {r}.id"
    return json_list(
        f"select t.relevance as r, t.symbol as s, {json_object(members)} as j",
        "x.r desc nulls last, x.s",
        source,
    )


def _event(part: Part) -> str:
    """One event of ``events e`` as ``schema.events.Event`` serializes it."""
    members = []
    for sub in part.fields:
        if sub.name == CONSTANT:
            value = _constant(sub)
        elif sub.name == "id":
            value = "('\"' || e.id || '\"')"
        elif sub.name in ("type", "model"):
            value = string(f"e.{sub.name}")
        elif sub.name in ("symbol", "entity"):
            value = nullable(f"e.{sub.name}", string(f"e.{sub.name}"))
        elif sub.name == "attributes":
            # The JSON scalar serializes the dict as read; only flat objects are spelled here.
            value = jsonb_flat_object("e.attributes")
        elif sub.name == "evidence":
            # db.events reads evidence only when it is an object: anything else is no evidence.
            evidence = _highlight("e.evidence", sub)
            value = f"(case when jsonb_typeof(e.evidence) = 'object' then {evidence} else 'null' end)"
        elif sub.name == "confidence":
            value = real("e.confidence")
        elif sub.name == "published_at":
            value = timestamp("e.published_at")
        else:
            raise ValueError(f"unknown event part {sub.name!r}")
        members.append(f"{_key(sub)} || {value}")
    return f"(case when {readable('e')} then {json_object(members)} end)"


def article_json(r: str, fields: tuple[Part, ...]) -> str:
    """The JSON text of one article, read from row ``r`` with the columns of ``article_columns``."""
    # Plans are compiled once and their parts reused, so the text is kept per parts object.
    found = _ARTICLE_JSON.get(id(fields))
    if found is not None and found[0] is fields and found[1] == r:
        return found[2]
    text = _article_json(r, fields)
    if len(_ARTICLE_JSON) >= _ARTICLE_JSON_MAX:
        _ARTICLE_JSON.clear()
    _ARTICLE_JSON[id(fields)] = (fields, r, text)
    return text


# id(parts) -> (the parts, kept alive so the id is not reused; row alias; text)
_ARTICLE_JSON: dict[int, tuple[tuple[Part, ...], str, str]] = {}
_ARTICLE_JSON_MAX: Final = 2048


def _article_json(r: str, fields: tuple[Part, ...]) -> str:
    members = []
    for part in fields:
        name = part.name
        if name == CONSTANT:
            value = _constant(part)
        elif name == "id":
            value = f"('\"' || {r}.id || '\"')"
        elif name == "source":
            value = string(f"{r}.source_name")
        elif name in ("title", "body", "language"):
            value = string(f"{r}.{name}")
        elif name in ("external_id", "url", "summary"):
            value = nullable(f"{r}.{name}", string(f"{r}.{name}"))
        elif name == "authors":
            value = _strings(f"{r}.authors")
        elif name == "published_at":
            value = timestamp(f"{r}.published_at")
        elif name == "status":
            value = _labels(f"{r}.status", part)
        elif name == "sentiment":
            value = _sentiment(r, part)
        elif name == "tickers":
            value = _tickers(r, part)
        elif name == "events":
            value = events_json(r, _event(part))
        else:
            raise ValueError(f"unknown article part {name!r}")
        members.append(f"{_key(part)} || {value}")
    return json_object(members)


# ---------------------------------------------------------------------------------------- lookups


def _article_lookup(q: SqlParams, lookup: ArticleLookup) -> str:
    columns = ", ".join(article_columns(lookup.fields))
    join = " join sources s on s.id = a.source_id" if needs_source(lookup.fields) else ""
    return (
        f"(select {article_json('p', lookup.fields)} from (select {columns} from articles a{join}"
        f" where a.id = {q.arg(lookup.article_id)}) p)"
    )


def _node_fields(parts: Sequence[Part]) -> list[Part]:
    nodes = (node for edges in parts if edges.name == "edges" for node in edges.fields if node.name == "node")
    return [f for node in nodes for f in node.fields]


def _page_lookup(q: SqlParams, lookup: ArticlePageLookup) -> str:
    node_fields = _node_fields(lookup.fields)
    scan = page_scan(
        q,
        filter=lookup.filter,
        order=lookup.order,
        after=lookup.after_key,
        with_source=needs_source(node_fields),
    )
    first = str(int(lookup.first))
    numbered = scan.numbered(", ".join(article_columns(node_fields)), int(lookup.first) + 1)
    cursor = _cursor("p.published_at", "p.id")
    members = []
    edge_json = "null::text"
    for part in lookup.fields:
        if part.name == CONSTANT:
            value = _constant(part)
        elif part.name == "edges":
            edge = []
            for sub in part.fields:
                if sub.name == CONSTANT:
                    edge.append(f"{_key(sub)} || {_constant(sub)}")
                elif sub.name == "cursor":
                    edge.append(f"{_key(sub)} || {cursor}")
                elif sub.name == "node":
                    edge.append(f"{_key(sub)} || {article_json('p', sub.fields)}")
                else:
                    raise ValueError(f"unknown edge part {sub.name!r}")
            edge_json = json_object(edge)
            value = (
                f"(case when count(e.j) = count(*) filter (where e.n <= {first}) then '[' ||"
                f" coalesce(string_agg(e.j, ',' order by e.n) filter (where e.n <= {first}), '') || ']' end)"
            )
        elif part.name == "page_info":
            info = []
            for sub in part.fields:
                if sub.name == CONSTANT:
                    rendered = _constant(sub)
                elif sub.name == "has_next_page":
                    rendered = f"(case when count(*) > {first} then 'true' else 'false' end)"
                elif sub.name == "has_previous_page":
                    rendered = "'true'" if lookup.after is not None else "'false'"
                elif sub.name in ("start_cursor", "end_cursor"):
                    order = "e.n" if sub.name == "start_cursor" else "e.n desc"
                    picked = f"(array_agg(e.c order by {order}) filter (where e.n <= {first}))[1]"
                    rendered = f"coalesce({picked}, 'null')"
                else:
                    raise ValueError(f"unknown page info part {sub.name!r}")
                info.append(f"{_key(sub)} || {rendered}")
            value = json_object(info)
        else:
            raise ValueError(f"unknown page part {part.name!r}")
        members.append(f"{_key(part)} || {value}")
    uses_cursor = any(
        sub.name in ("start_cursor", "end_cursor") for part in lookup.fields for sub in part.fields
    )
    edges = (
        f"select p.n, case when p.n <= {first} then {edge_json} end as j,"
        f" {cursor if uses_cursor else 'null::text'} as c from ({numbered}) p offset 0"
    )
    # group by (): one row even when no member aggregates (``{ __typename }``).
    return f"(select {json_object(members)} from ({edges}) e group by ())"


def data_statement(lookups: Sequence[Lookup]) -> tuple[str, list[Any]]:
    """One statement whose single value is the ``data`` object of the lookups, in their order."""
    q = SqlParams()
    members = []
    for lookup in lookups:
        if isinstance(lookup, ArticleLookup):
            value = _article_lookup(q, lookup)
        elif isinstance(lookup, ArticlePageLookup):
            value = _page_lookup(q, lookup)
        elif lookup.name == CONSTANT:
            value = _constant(lookup)
        else:
            raise ValueError(f"unknown lookup {lookup.name!r}")
        members.append(f"{_key(lookup)} || {value}")
    return f"select {json_object(members)}", q.args


async def fetch_data_json(conn: asyncpg.Connection, *, lookups: Sequence[Lookup]) -> str | None:
    """The JSON text of the ``data`` object, or None when the Python path must answer instead."""
    sql, args = data_statement(lookups)
    text: str | None = await conn.fetchval(sql, *args)
    return text
