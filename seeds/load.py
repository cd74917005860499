"""Loads the committed seed data: reference tickers, demo articles and the reference example article.

Idempotent: tickers are upserted by symbol and articles by (source, external_id), so a second run changes
nothing and reports every article as existing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from core.records import ArticleIn, TickerRef
from db.articles import upsert_articles
from db.pool import open_pool
from db.tickers import upsert_tickers

SEEDS_DIR = Path(__file__).parent
TICKERS_PATH = SEEDS_DIR / "tickers.json"
ARTICLES_PATH = SEEDS_DIR / "articles.json"
SEED_ARTICLE_PATH = SEEDS_DIR / "seed-article.txt"

# The product's reference example (design.md): ingesting it must link LUMN without anyone naming it, but
# the seed gives LUMN explicitly so the demo shows the ticker even before scoring runs.
REFERENCE_SOURCE = "tickertone-reference"
REFERENCE_EXTERNAL_ID = "seed-lumen-alkira"
REFERENCE_TITLE = "Lumen Technologies to buy Alkira for $475 million in cash"
REFERENCE_PUBLISHED_AT = datetime(2026, 11, 20, 13, 30, tzinfo=UTC)
REFERENCE_TICKERS = ("LUMN",)


@dataclass(frozen=True, slots=True)
class LoadReport:
    tickers: int
    tickers_changed: int
    articles: int
    articles_new: int

    @property
    def articles_existing(self) -> int:
        return self.articles - self.articles_new


def read_tickers(path: Path = TICKERS_PATH) -> list[TickerRef]:
    records = json.loads(path.read_text(encoding="utf-8"))
    return [
        TickerRef(
            symbol=record["symbol"],
            name=record["name"],
            aliases=tuple(record["aliases"]),
            exchange=record["exchange"],
            sector=record["sector"],
            industry=record["industry"],
            ambiguous_aliases=tuple(record.get("ambiguous_aliases", ())),
        )
        for record in records
    ]


def reference_article(text: str) -> ArticleIn:
    return ArticleIn(
        source=REFERENCE_SOURCE,
        external_id=REFERENCE_EXTERNAL_ID,
        title=REFERENCE_TITLE,
        body=text.strip(),
        published_at=REFERENCE_PUBLISHED_AT,
        language="en",
        tickers=list(REFERENCE_TICKERS),
    )


def read_articles(
    articles_path: Path = ARTICLES_PATH, seed_article_path: Path = SEED_ARTICLE_PATH
) -> list[ArticleIn]:
    """The reference article first, then the demo articles, each validated as any client's would be."""
    demo = json.loads(articles_path.read_text(encoding="utf-8"))
    reference = reference_article(seed_article_path.read_text(encoding="utf-8"))
    return [reference, *(ArticleIn.model_validate(record) for record in demo)]


async def load_seeds(
    conn: asyncpg.Connection,
    *,
    tickers: Sequence[TickerRef],
    articles: Sequence[ArticleIn],
    progress: Callable[[str], None] = lambda _line: None,
) -> LoadReport:
    """Upsert tickers first (explicit article tickers refer to them), then ingest the articles together
    with their scoring jobs."""
    changed = await upsert_tickers(conn, tickers=tickers)
    progress(f"tickers: {len(tickers)} upserted ({changed} inserted or changed)")
    results = await upsert_articles(conn, articles=articles)
    new = sum(1 for result in results if result.created)
    progress(f"articles: {len(results)} ({new} new, {len(results) - new} existing)")
    if changed or new:
        # seeds may not import the cache (design.md); the API's command bumps its generations.
        progress("changed rows bypassed the API: `python -m api cache invalidate` drops cached responses")
    return LoadReport(tickers=len(tickers), tickers_changed=changed, articles=len(results), articles_new=new)


async def load(dsn: str, *, progress: Callable[[str], None] = print) -> LoadReport:
    tickers = read_tickers()
    articles = read_articles()
    async with open_pool(dsn) as pool, pool.acquire() as conn:
        return await load_seeds(conn, tickers=tickers, articles=articles, progress=progress)
