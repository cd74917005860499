"""SQL that stores one model version's scores for an article, in one transaction keyed by (article, model).

History rows (``article_sentiment``, ``article_ticker_sentiment``, ``events``) are upserted for their
own model only, and only where a value differs, so a duplicate delivery changes no row, not even a
timestamp. The article's current columns and ``article_tickers`` follow the newest model: the one with the
highest ``scoring_models.rank`` (registration order), so a late retry of an older model never takes
the current score back. The sentiment buckets of every ticker touched are recomputed in the same
transaction (``db/series.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import orjson

from core.records import ArticleScore, Highlight
from db import series as db_series


@dataclass(frozen=True, slots=True)
class StoredScore:
    article_id: int
    model: str
    score: float
    label: str
    # Tickers of the stored result that exist in the reference table (the others are skipped).
    symbols: tuple[str, ...]
    # This model is the article's newest, so its current columns now show this result.
    current: bool
    # Some row changed; False for a duplicate delivery.
    changed: bool


@dataclass(frozen=True, slots=True)
class ArticleToScore:
    id: int
    title: str
    body: str
    tickers: tuple[str, ...]


_REGISTER = """
insert into scoring_models (model) values ($1) on conflict (model) do nothing
"""


async def register_model(conn: asyncpg.Connection, *, model: str) -> None:
    """Record a model version the first time a worker runs it; its rank orders "newest"."""
    await conn.execute(_REGISTER, model)


_FOR_SCORING = """
select id, title, body, explicit_tickers from articles where id = any($1::bigint[]) order by id
"""


async def list_articles_to_score(
    conn: asyncpg.Connection, *, article_ids: Sequence[int]
) -> dict[int, ArticleToScore]:
    rows = await conn.fetch(_FOR_SCORING, list(article_ids))
    return {
        r["id"]: ArticleToScore(
            id=r["id"], title=r["title"], body=r["body"], tickers=tuple(r["explicit_tickers"])
        )
        for r in rows
    }


# The article row lock serialises two deliveries of the same article; the ranks decide "newest".
_LOCK_ARTICLE = """
select a.id, a.published_at, a.sentiment_model,
       (select rank from scoring_models where model = a.sentiment_model) as stored_rank,
       (select rank from scoring_models where model = $2) as new_rank
from articles a where a.id = $1
for update of a
"""

_KNOWN_SYMBOLS = "select symbol from tickers where symbol = any($1::text[])"

_UPSERT_SENTIMENT = """
insert into article_sentiment as s (article_id, model, score, label, confidence)
values ($1, $2, $3, $4, $5)
on conflict (article_id, model) do update
    set score = excluded.score, label = excluded.label, confidence = excluded.confidence, scored_at = now()
    where (s.score, s.label, s.confidence)
        is distinct from (excluded.score, excluded.label, excluded.confidence)
returning scored_at
"""

_SCORED_AT = "select scored_at from article_sentiment where article_id = $1 and model = $2"

_UPSERT_TICKER_HISTORY = """
insert into article_ticker_sentiment as h
    (article_id, symbol, model, relevance, score, label, confidence, highlights)
select $1, t.symbol, $2, t.relevance, t.score, t.label, t.confidence, t.highlights::jsonb
from unnest($3::text[], $4::real[], $5::real[], $6::text[], $7::real[], $8::text[])
    as t(symbol, relevance, score, label, confidence, highlights)
on conflict (article_id, symbol, model) do update
    set relevance = excluded.relevance, score = excluded.score, label = excluded.label,
        confidence = excluded.confidence, highlights = excluded.highlights, scored_at = now()
    where (h.relevance, h.score, h.label, h.confidence, h.highlights)
        is distinct from (excluded.relevance, excluded.score, excluded.label, excluded.confidence,
                          excluded.highlights)
returning 1
"""

_DELETE_TICKER_HISTORY = """
delete from article_ticker_sentiment where article_id = $1 and model = $2 and symbol <> all($3::text[])
returning 1
"""

# Event ids stay stable across identical re-runs because rows are matched on (article, model, ordinal).
_UPSERT_EVENTS = """
insert into events as e
    (article_id, model, ordinal, type, symbol, entity, attributes, evidence, confidence, published_at)
select $1, $2, t.ordinal, t.type, t.symbol, t.entity, t.attributes::jsonb, t.evidence::jsonb, t.confidence, $3
from unnest($4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::real[])
    as t(ordinal, type, symbol, entity, attributes, evidence, confidence)
on conflict (article_id, model, ordinal) do update
    set type = excluded.type, symbol = excluded.symbol, entity = excluded.entity,
        attributes = excluded.attributes, evidence = excluded.evidence, confidence = excluded.confidence,
        published_at = excluded.published_at
    where (e.type, e.symbol, e.entity, e.attributes, e.evidence, e.confidence, e.published_at)
        is distinct from (excluded.type, excluded.symbol, excluded.entity, excluded.attributes,
                          excluded.evidence, excluded.confidence, excluded.published_at)
returning 1
"""

_DELETE_EVENTS = """
delete from events where article_id = $1 and model = $2 and ordinal >= $3 returning 1
"""

_SET_CURRENT = """
update articles
set status = 'scored', sentiment_score = $2, sentiment_label = $3, sentiment_confidence = $4,
    sentiment_model = $5, scored_at = $6
where id = $1
  and (status, sentiment_score, sentiment_label, sentiment_confidence, sentiment_model, scored_at)
      is distinct from ('scored', $2::real, $3, $4::real, $5, $6::timestamptz)
returning 1
"""

_CURRENT_TICKERS = "select symbol from article_tickers where article_id = $1"

_UPSERT_CURRENT_TICKERS = """
insert into article_tickers as c
    (article_id, symbol, published_at, explicit, relevance, score, label, confidence, highlights, model,
     scored_at)
select $1, t.symbol, $2, t.explicit, t.relevance, t.score, t.label, t.confidence, t.highlights::jsonb, $3, $4
from unnest($5::text[], $6::bool[], $7::real[], $8::real[], $9::text[], $10::real[], $11::text[])
    as t(symbol, explicit, relevance, score, label, confidence, highlights)
on conflict (article_id, symbol) do update
    set explicit = c.explicit or excluded.explicit, relevance = excluded.relevance, score = excluded.score,
        label = excluded.label, confidence = excluded.confidence, highlights = excluded.highlights,
        model = excluded.model, scored_at = excluded.scored_at
    where (c.explicit or excluded.explicit, c.relevance, c.score, c.label, c.confidence, c.highlights,
           c.model, c.scored_at)
        is distinct from (c.explicit, excluded.relevance, excluded.score, excluded.label, excluded.confidence,
                          excluded.highlights, excluded.model, excluded.scored_at)
returning 1
"""

# A ticker the newest model no longer links leaves the current view; a ticker named at ingest stays
# linked (the caller said so) but loses the score the older model gave it.
_DROP_CURRENT_TICKERS = """
with gone as (
    delete from article_tickers
    where article_id = $1 and symbol <> all($2::text[]) and not explicit
    returning 1
), cleared as (
    update article_tickers
    set relevance = null, score = null, label = null, confidence = null, highlights = '[]', model = $3,
        scored_at = null
    where article_id = $1 and symbol <> all($2::text[]) and explicit
      and (score is not null or model is distinct from $3)
    returning 1
)
select (select count(*) from gone) + (select count(*) from cleared)
"""

_FINISH_JOB = """
update score_jobs
set status = 'done', finished_at = now(), locked_by = null, locked_at = null, heartbeat_at = null,
    last_error = null, model = coalesce(model, $2)
where id = $1 and status <> 'done'
"""


def _highlight(h: Highlight) -> dict[str, object]:
    return {"text": h.text, "section": h.section, "start": h.start, "end": h.end, "score": h.score}


def _highlights_json(highlights: Sequence[Highlight]) -> str:
    return orjson.dumps([_highlight(h) for h in highlights]).decode()


def _count(status: str) -> int:
    return int(status.split()[-1])


async def store_score(
    conn: asyncpg.Connection, *, result: ArticleScore, job_id: int | None
) -> StoredScore | None:
    """Store ``result`` and finish ``job_id`` in one transaction; None when the article no longer exists."""
    async with conn.transaction():
        article = await conn.fetchrow(_LOCK_ARTICLE, result.article_id, result.model)
        if article is None:
            if job_id is not None:
                await conn.execute(_FINISH_JOB, job_id, result.model)
            return None
        if article["new_rank"] is None:
            await conn.execute(_REGISTER, result.model)
            new_rank = await conn.fetchval("select rank from scoring_models where model = $1", result.model)
        else:
            new_rank = article["new_rank"]
        stored_rank = article["stored_rank"]
        current = article["sentiment_model"] is None or stored_rank is None or stored_rank <= new_rank
        published_at: datetime = article["published_at"]

        known = {r["symbol"] for r in await conn.fetch(_KNOWN_SYMBOLS, [t.symbol for t in result.tickers])}
        tickers = [t for t in result.tickers if t.symbol in known]
        symbols = [t.symbol for t in tickers]
        changed = 0

        row = await conn.fetchrow(
            _UPSERT_SENTIMENT, result.article_id, result.model, result.score, result.label, result.confidence
        )
        if row is not None:
            changed += 1
            scored_at: datetime = row["scored_at"]
        else:
            scored_at = await conn.fetchval(_SCORED_AT, result.article_id, result.model)

        highlights = [_highlights_json(t.highlights) for t in tickers]
        changed += len(
            await conn.fetch(
                _UPSERT_TICKER_HISTORY,
                result.article_id,
                result.model,
                symbols,
                [t.relevance for t in tickers],
                [t.score for t in tickers],
                [t.label for t in tickers],
                [t.confidence for t in tickers],
                highlights,
            )
        )
        changed += len(await conn.fetch(_DELETE_TICKER_HISTORY, result.article_id, result.model, symbols))

        events = result.events
        changed += len(
            await conn.fetch(
                _UPSERT_EVENTS,
                result.article_id,
                result.model,
                published_at,
                list(range(len(events))),
                [e.type for e in events],
                [e.symbol if e.symbol in known else None for e in events],
                [e.entity for e in events],
                [orjson.dumps(e.attributes).decode() for e in events],
                [
                    orjson.dumps(_highlight(e.evidence)).decode() if e.evidence is not None else None
                    for e in events
                ],
                [e.confidence for e in events],
            )
        )
        changed += len(await conn.fetch(_DELETE_EVENTS, result.article_id, result.model, len(events)))

        if current:
            before = {r["symbol"] for r in await conn.fetch(_CURRENT_TICKERS, result.article_id)}
            changed += len(
                await conn.fetch(
                    _SET_CURRENT,
                    result.article_id,
                    result.score,
                    result.label,
                    result.confidence,
                    result.model,
                    scored_at,
                )
            )
            changed += len(
                await conn.fetch(
                    _UPSERT_CURRENT_TICKERS,
                    result.article_id,
                    published_at,
                    result.model,
                    scored_at,
                    symbols,
                    [t.explicit for t in tickers],
                    [t.relevance for t in tickers],
                    [t.score for t in tickers],
                    [t.label for t in tickers],
                    [t.confidence for t in tickers],
                    highlights,
                )
            )
            changed += await conn.fetchval(_DROP_CURRENT_TICKERS, result.article_id, symbols, result.model)
            # Recomputing is a no-op when nothing changed, so skip it for duplicate deliveries.
            if changed:
                await db_series.refresh_buckets(
                    conn, symbols=sorted(before | set(symbols)), published_at=published_at
                )
        if job_id is not None:
            await conn.execute(_FINISH_JOB, job_id, result.model)
    return StoredScore(
        article_id=result.article_id,
        model=result.model,
        score=result.score,
        label=result.label,
        symbols=tuple(symbols),
        current=current,
        changed=changed > 0,
    )


async def list_models(conn: asyncpg.Connection) -> list[str]:
    """Registered model versions, oldest first (the order that decides "newest")."""
    return [r["model"] for r in await conn.fetch("select model from scoring_models order by rank")]
