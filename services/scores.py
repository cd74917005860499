"""Storing the worker's scores and telling the rest of the system about them.

Postgres is the source of truth and is written first; Redis only hears about a score after its
transaction committed. Redis failures never propagate: a lost cache bump marks the cache dirty (healed by
a global generation bump when Redis answers again) and a lost ``article.scored`` message is reported back
so the caller can publish it later.
"""

from __future__ import annotations

from collections.abc import Sequence

from cache import keys
from core.records import ArticleScore
from db import scores as db_scores
from db.scores import ArticleToScore, StoredScore
from services.deps import Deps
from services.invalidation import invalidate

__all__ = [
    "ArticleToScore",
    "StoredScore",
    "list_articles_to_score",
    "notify_scored",
    "register_model",
    "store_score",
]


async def register_model(deps: Deps, *, model: str) -> None:
    async with deps.connection() as conn:
        await db_scores.register_model(conn, model=model)


async def list_articles_to_score(deps: Deps, *, article_ids: Sequence[int]) -> dict[int, ArticleToScore]:
    async with deps.connection() as conn:
        return await db_scores.list_articles_to_score(conn, article_ids=article_ids)


async def store_score(deps: Deps, *, result: ArticleScore, job_id: int | None) -> StoredScore | None:
    """Write one article's scores and finish its job in one transaction (idempotent per article and model)."""
    async with deps.connection() as conn:
        return await db_scores.store_score(conn, result=result, job_id=job_id)


def scored_message(stored: StoredScore) -> dict[str, object]:
    return {
        "article_id": stored.article_id,
        "tickers": list(stored.symbols),
        "score": stored.score,
        "label": stored.label,
        "model": stored.model,
    }


async def notify_scored(deps: Deps, *, stored: Sequence[StoredScore]) -> list[StoredScore]:
    """Invalidate cached reads of these articles and tickers, publish ``article.scored`` for each.

    Returns the ones whose message could not be published. Only results that became the article's
    current score are announced; a history-only write (older model) changes nothing a reader sees.
    """
    cache = deps.cache
    visible = [s for s in stored if s.current and s.changed]
    if cache is None or not visible:
        return []
    # Heal first: a lost bump from an outage must invalidate everything before new entries are trusted.
    await cache.heal()
    await invalidate(
        deps,
        article_ids=[s.article_id for s in visible],
        symbols=sorted({sym for s in visible for sym in s.symbols}),
    )
    return await publish_scored(deps, stored=visible)


async def publish_scored(deps: Deps, *, stored: Sequence[StoredScore]) -> list[StoredScore]:
    """Publish in order; after the first failure the rest are returned unsent without paying more timeouts."""
    cache = deps.cache
    if cache is None:
        return []
    unsent: list[StoredScore] = []
    for s in stored:
        if unsent or not await cache.publish(keys.SCORED_CHANNEL, scored_message(s)):
            unsent.append(s)
    return unsent


async def list_models(deps: Deps) -> list[str]:
    async with deps.connection() as conn:
        return await db_scores.list_models(conn)
