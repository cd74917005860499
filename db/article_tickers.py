"""SQL for the tickers linked to articles, with the newest model's ticker sentiment."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from core.records import ArticleTicker, Highlight

_FOR_ARTICLES = """
select t.article_id, t.symbol, k.name, t.explicit, t.relevance, t.score, t.label, t.confidence, t.model,
       t.highlights
from article_tickers t join tickers k on k.symbol = t.symbol
where t.article_id = any($1::bigint[])
order by t.article_id, t.relevance desc nulls last, t.symbol
"""


def highlights_from_json(items: object) -> tuple[Highlight, ...]:
    if not isinstance(items, list):
        return ()
    return tuple(
        Highlight(
            text=h["text"],
            section=h.get("section", "body"),
            start=h["start"],
            end=h["end"],
            score=h["score"],
        )
        for h in items
    )


async def list_article_tickers(
    conn: asyncpg.Connection, *, article_ids: Sequence[int]
) -> dict[int, list[ArticleTicker]]:
    rows = await conn.fetch(_FOR_ARTICLES, list(article_ids))
    out: dict[int, list[ArticleTicker]] = {i: [] for i in article_ids}
    for r in rows:
        out[r["article_id"]].append(
            ArticleTicker(
                article_id=r["article_id"],
                symbol=r["symbol"],
                name=r["name"],
                explicit=r["explicit"],
                relevance=r["relevance"],
                score=r["score"],
                label=r["label"],
                confidence=r["confidence"],
                model=r["model"],
                highlights=highlights_from_json(r["highlights"]),
            )
        )
    return out
