"""SQL-rendered REST articles: jsonb values spelled as the Python path spells them, or NULL.

The byte-for-byte comparison with the Python rendering runs over HTTP (``tests/api/test_articles_compiled``);
here: jsonb numbers over a wide range, and rows the Python path would refuse (a 500 there), which the SQL
must leave to it by answering None.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
import pytest

from core.records import ArticleFilter
from db._json_text import jsonb_scalar
from db.article_representations import get_article_json, list_articles_json


def _numbers() -> list[str]:
    rng = random.Random(20261202)
    floats = [rng.uniform(-1, 1) for _ in range(1500)]
    floats += [rng.choice((-1, 1)) * 10 ** rng.uniform(-12, 18) for _ in range(1500)]
    floats += [round(rng.uniform(-1000, 1000), rng.randint(0, 6)) for _ in range(500)]
    floats += [0.0, -0.0, 1.0, -1.0, 0.5, 0.1, 1e-4, 1e-5, 1.5e-5, 1e-7, 1e15, 1e16, 123456.5, 2.5e-7]
    texts = [orjson.dumps(f).decode() for f in floats]
    texts += [str(rng.randint(-(2**64), 2**64)) for _ in range(200)]
    texts += ["2.90", "1.00", "0.00001", "-0", "0", "18446744073709551615", "123456789012345678"]
    texts += ["1" + "0" * 30, "0." + "0" * 30 + "1", "1e-7", "5E+3", "12345678901234567890.5"]
    return texts


async def test_jsonb_scalars_are_orjsons_spelling_or_null(conn: asyncpg.Connection) -> None:
    numbers = _numbers()
    texts = [*numbers, '"a \\" \\\\ \\u0007 \\u2028 😀"', "true", "false", "null", "[1]", '{"a": 1}']
    rows = await conn.fetch(
        f"select (t::jsonb)::text as stored, {jsonb_scalar('t::jsonb')} as rendered"
        " from unnest($1::text[]) with ordinality as u(t, n) order by n",
        texts,
    )
    for row in rows:
        # What asyncpg's jsonb codec hands the Python path, and what orjson writes of it.
        expected = orjson.dumps(orjson.loads(row["stored"])).decode()
        assert row["rendered"] in (None, expected), (row["stored"], row["rendered"], expected)
    # What scoring stores (floats as orjson wrote them in [1e-4, 1e15), integers) renders in SQL.
    common = [
        row["rendered"]
        for text, row in zip(numbers, rows, strict=False)
        if (text.lstrip("-").isdigit() and len(text) <= 18)
        or (
            "e" not in text
            and "E" not in text
            and 1e-4 <= abs(float(text)) < 1e15
            and text == str(float(text))
        )
    ]
    assert len(common) > 2500 and None not in common


async def _article(conn: asyncpg.Connection) -> int:
    await conn.execute("insert into tickers (symbol, name) values ('ZZRP', 'Representations Inc')")
    source_id = await conn.fetchval("insert into sources (name) values ('representations') returning id")
    article_id: int = await conn.fetchval(
        "insert into articles (source_id, content_hash, title, body, published_at, status, sentiment_score,"
        " sentiment_label, sentiment_confidence, sentiment_model, scored_at)"
        " values ($1, '\\x00', 'title', 'body', $2, 'scored', 0.5, 'slightly positive', 0.9, 'm', $2)"
        " returning id",
        source_id,
        datetime(2026, 5, 1, tzinfo=UTC),
    )
    await conn.execute(
        "insert into article_tickers (article_id, symbol, published_at) select id, 'ZZRP', published_at"
        " from articles where id = $1",
        article_id,
    )
    return article_id


async def _render(conn: asyncpg.Connection, article_id: int) -> tuple[str | None, str | None]:
    page = await list_articles_json(
        conn,
        filter=ArticleFilter(sources=("representations",)),
        order="published_desc",
        limit=20,
        after=None,
        include_body=False,
    )
    return await get_article_json(conn, article_id=article_id), page.data if page is not None else None


async def test_a_well_formed_article_renders(conn: asyncpg.Connection) -> None:
    article_id = await _article(conn)
    one, page = await _render(conn, article_id)
    assert one is not None and page is not None
    assert orjson.loads(page) == [{k: v for k, v in orjson.loads(one).items() if k != "body"}]
    assert await get_article_json(conn, article_id=article_id + 1000) is None


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("article_tickers", "highlights", [{"section": "body", "start": 0, "end": 1, "score": 0.5}]),
        ("article_tickers", "highlights", ["not an object"]),
        ("article_tickers", "highlights", [{"text": "t", "start": 0, "end": 1, "score": [0.5]}]),
        ("events", "attributes", [["a", 1]]),
        ("events", "attributes", {"nested": {"a": 1}}),
        ("events", "evidence", {"text": "no offsets"}),
    ],
)
async def test_what_python_would_refuse_or_respell_is_null(
    conn: asyncpg.Connection, table: str, column: str, value: Any
) -> None:
    article_id = await _article(conn)
    await conn.execute(
        "insert into events (article_id, model, ordinal, type, confidence, published_at)"
        " values ($1, 'm', 0, 'merger', 0.5, now())",
        article_id,
    )
    assert None not in await _render(conn, article_id)
    await conn.execute(f"update {table} set {column} = $2 where article_id = $1", article_id, value)
    assert await _render(conn, article_id) == (None, None)
