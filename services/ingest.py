"""Ingest: validate a batch, then write articles and their scoring jobs in one transaction."""

from __future__ import annotations

from collections.abc import Sequence

from core.errors import InvalidInput
from core.records import ArticleIn, IngestResult
from db import articles as db_articles
from db import tickers as db_tickers
from services.deps import Deps
from services.invalidation import invalidate


async def ingest_articles(deps: Deps, *, articles: Sequence[ArticleIn]) -> list[IngestResult]:
    if not articles:
        raise InvalidInput("a batch needs at least one article", field="articles")
    if len(articles) > deps.settings.max_batch:
        raise InvalidInput(
            f"a batch holds at most {deps.settings.max_batch} articles",
            field="articles",
            code="batch_too_large",
        )
    symbols = sorted({s for a in articles for s in a.tickers})
    async with deps.connection() as conn:
        if symbols:
            unknown = await db_tickers.unknown_symbols(conn, symbols=symbols)
            if unknown:
                raise InvalidInput(
                    f"unknown ticker(s): {', '.join(unknown)}",
                    field="tickers",
                    code="unknown_ticker",
                    details={"unknown": unknown},
                )
        results = await db_articles.upsert_articles(conn, articles=articles)
    if any(r.created for r in results):
        await invalidate(deps, article_ids=[r.article.id for r in results if r.created], symbols=symbols)
    return results
