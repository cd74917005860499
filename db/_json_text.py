"""SQL expressions that spell values as JSON text exactly as the Python read paths spell them with orjson.

Strings go through ``to_json`` (its escapes are orjson's), reals are Postgres' shortest text (what
``db.pool`` decodes them to), floats and timestamps are respelled where orjson writes them otherwise.
An expression is SQL NULL wherever orjson's spelling is not certain; the NULL spreads through ``||``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def json_object(members: list[str]) -> str:
    if not members:
        return "'{}'"
    return "'{' || " + " || ',' || ".join(members) + " || '}'"


def json_members(members: Sequence[tuple[str, str]]) -> str:
    """A JSON object of (key, value expression) pairs, keys plain names: ``'{"a":' || a || ',"b":' || b
    || '}'``, one literal between two values."""
    if not members:
        return "'{}'"
    parts = []
    for i, (key, value) in enumerate(members):
        parts.append(literal(f'{"," if i else "{"}"{key}":'))
        parts.append(value)
    parts.append("'}'")
    return "(" + " || ".join(parts) + ")"


def string(expr: str) -> str:
    return f"to_json({expr})::text"


def nullable(column: str, rendered: str) -> str:
    return f"case when {column} is null then 'null' else {rendered} end"


_TINY: Final = "'^(-?)([0-9])[.]?([0-9]*)e-05$'"


def orjson_float(text: str) -> str:
    """float8 text (shortest round trip, as orjson's) spelled as orjson spells it.

    orjson adds ".0" to integral values, writes 1e-5 <= |v| < 1e-4 in fixed notation and drops the
    exponent's leading zero; from 1e15 to 1e16 it writes digits where Postgres has an exponent: NULL.
    """
    return (
        f"(case when {text} ~ '^-?[0-9]+$' then {text} || '.0'"
        f" when {text} ~ '^[^e]*$' then {text}"
        f" when {text} ~ 'e-0[6-9]$' then replace({text}, 'e-0', 'e-')"
        f" when {text} ~ 'e-05$' then regexp_replace({text}, {_TINY}, '\\10.0000\\2\\3')"
        f" when {text} !~ 'e[+]15$' then {text} end)"
    )


def float8(expr: str) -> str:
    # Only values outside [1e-4, 1e15) or integral need more than float8's own text.
    return (
        f"(case when abs({expr}) >= 0.0001::float8 and abs({expr}) < 1e15::float8 and {expr} <> trunc({expr})"
        f" then ({expr})::text else {orjson_float(f'({expr})::text')} end)"
    )


def real(column: str) -> str:
    # db.pool decodes a real to the shortest decimal that reads back as it, which is Postgres' own
    # text for a real. In [1e-4, 1) that text is orjson's spelling too; from 1e6 Postgres writes an
    # exponent where orjson writes digits: NULL (the Python path answers; scores lie in [-1, 1]).
    text = f"({column})::text"
    return (
        f"(case when abs({column}) >= 0.0001::real and abs({column}) < 1::real then {text}"
        f" when abs({column}) < 1000000::real then {orjson_float(text)} end)"
    )


def timestamp(expr: str, *, utc: str = "+00:00") -> str:
    """A timestamptz as ``datetime.isoformat()`` in UTC, the offset spelled ``utc`` (orjson's
    ``OPT_UTC_Z`` writes ``Z``); infinities, which no Python datetime holds, are NULL."""
    text = (
        f"replace(to_char({expr} at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '')"
        f" || {literal(utc + chr(34))}"
    )
    return f"(case when isfinite({expr}) then '\"' || {text} end)"


def boolean(expr: str) -> str:
    return f"(case {expr} when true then 'true' when false then 'false' end)"


def json_list(items: str, order: str, source: str, *, brackets: str = "[]") -> str:
    """A JSON array (or, with ``brackets="{}"``, object) of the non-null ``j`` of ``source`` (a fenced
    subquery), or NULL if one is null."""
    return (
        f"(select case when count(*) = count(x.j) then '{brackets[0]}' ||"
        f" coalesce(string_agg(x.j, ',' order by {order}), '') || '{brackets[1]}' end"
        f" from ({items} {source} offset 0) x)"
    )


def jsonb_objects(column: str, rendered: str) -> str:
    """A JSON array of ``rendered`` (an expression over ``h.h``) for each element ``h.h`` of the jsonb
    array ``column``, as ``db.article_tickers`` reads highlights: ``[]`` when ``column`` is not an array,
    NULL when an element is not an object (Python fails on it) or renders NULL."""
    item = f"(case when jsonb_typeof(h.h) = 'object' then {rendered} end)"
    source = (
        f"from jsonb_array_elements(case when jsonb_typeof({column}) = 'array' then {column}"
        " else '[]'::jsonb end) with ordinality as h(h, o)"
    )
    listed = json_list(f"select h.o, {item} as j", "x.o", source)
    # Most arrays are empty: no subquery for them.
    return f"(case when {column} = '[]'::jsonb then '[]' else {listed} end)"


def jsonb_scalar(expr: str) -> str:
    """A jsonb scalar as orjson writes it after ``orjson.loads`` of its text (asyncpg's jsonb codec).

    An integer keeps its digits; a number with a fraction is a float, written as stored when that is
    already the shortest text of the float (``x.0`` for integral ones, as orjson writes them). Anything
    else (a longer spelling, an exponent orjson would write, objects, arrays, integers past 64 bits)
    is NULL: rare in stored data, and respelling it would cost every statement its planning time.
    """
    number = f"({expr})::text"
    shortest = (
        f"{number} ~ '^-?[0-9]{{1,15}}[.][0-9]*[1-9]$' and length({number}) <= 40"
        f" and ({number})::float8::text = {number}"
    )
    return (
        f"(case jsonb_typeof({expr}) when 'string' then ({expr})::text when 'boolean' then ({expr})::text"
        " when 'null' then 'null'"
        f" when 'number' then (case when {number} ~ '^-?[0-9]{{1,18}}$|^-?[0-9]{{1,15}}[.]0$' then {number}"
        f" when {shortest} then {number} end) end)"
    )


def jsonb_flat_object(column: str) -> str:
    """A jsonb object of scalars as orjson writes the dict asyncpg's jsonb codec reads (its members in
    jsonb's own order, each value as ``jsonb_scalar``); NULL for anything else (not an object, a nested
    value, a number orjson might spell otherwise)."""
    members = json_list(
        f"select m.o, {string('m.k')} || ':' || {jsonb_scalar('m.v')} as j",
        "x.o",
        f"from jsonb_each({column}) with ordinality as m(k, v, o)",
        brackets="{}",
    )
    return f"(case when jsonb_typeof({column}) = 'object' then {members} end)"
