"""Generate a reproducible benchmark corpus (default 100,000 scored articles) straight into Postgres.

``python -m bench.generate --articles 100000`` fills the database named by ``DATABASE_URL`` (migrated,
tickers loaded from ``seeds/tickers.json``) with articles, ticker links, sentiment and events through
binary COPY, seeded so every run produces the same rows. It refuses a database that already has
articles unless ``--append`` is given.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from core.records import TickerRef
from core.scale import label_of
from db.articles import content_hash
from db.migrate import migrate
from db.pool import init_connection
from db.tickers import upsert_tickers

TICKERS_FILE = Path(__file__).resolve().parent.parent / "seeds" / "tickers.json"
MODEL = "bench-synthetic"
EVENT_TYPES = ("earnings", "guidance", "acquisition", "analyst_rating", "dividend", "layoffs", "legal")
VERBS = (
    "beats estimates",
    "misses forecasts",
    "raises guidance",
    "cuts outlook",
    "announces buyback",
    "agrees to acquire rival",
    "faces lawsuit",
    "names new CEO",
    "holds steady",
    "expands in Asia",
)
CHUNK = 5_000
SESSIONS = ("early", "late")
Row = tuple[object, ...]


def load_refs() -> list[TickerRef]:
    rows = json.loads(TICKERS_FILE.read_text(encoding="utf-8"))
    return [
        TickerRef(
            r["symbol"],
            r["name"],
            tuple(r.get("aliases", ())),
            r.get("exchange"),
            r.get("sector"),
            r.get("industry"),
        )
        for r in rows
    ]


async def generate(dsn: str, *, count: int, seed: int, append: bool) -> None:
    conn = await asyncpg.connect(dsn, timeout=10)
    await init_connection(conn)
    try:
        await migrate(conn)
        refs = load_refs()
        await upsert_tickers(conn, tickers=refs)
        existing = await conn.fetchval("select count(*) from articles")
        if existing and not append:
            sys.exit(f"database already holds {existing} articles; pass --append to add more")
        source_id = await conn.fetchval(
            "insert into sources (name) values ('bench-wire')"
            " on conflict (name) do update set name = excluded.name returning id"
        )
        rng = random.Random(seed)
        # Skewed popularity: a few tickers get most of the news, as in real feeds.
        symbols = [r.symbol for r in refs]
        weights = [1.0 / (i + 1) ** 0.8 for i in range(len(symbols))]
        rng.shuffle(symbols)
        start = datetime(2026, 11, 24, tzinfo=UTC)
        next_id = int(await conn.fetchval("select coalesce(max(id), 0) from articles")) + 1
        started = time.perf_counter()
        made = 0
        while made < count:
            n = min(CHUNK, count - made)
            articles: list[Row] = []
            links: list[Row] = []
            sentiments: list[Row] = []
            events: list[Row] = []
            for k in range(n):
                i = made + k
                published = start - timedelta(seconds=i * 60 + rng.randint(0, 59))
                picked = list(dict.fromkeys(rng.choices(symbols, weights=weights, k=rng.randint(1, 3))))
                verb = rng.choice(VERBS)
                title = f"{picked[0]} {verb} ({i})"
                body = f"{title}. " + " ".join(
                    f"Shares of {s} moved {rng.uniform(-5, 5):.1f}% in {rng.choice(SESSIONS)} trading."
                    for s in picked
                )
                score = max(-1.0, min(1.0, rng.gauss(0.05, 0.45)))
                label = label_of(score)
                scored_at = published + timedelta(seconds=2)
                articles.append(
                    (
                        source_id,
                        f"bench-{i}",
                        None,
                        content_hash(title, body),
                        title,
                        None,
                        body,
                        [],
                        published,
                        "en",
                        [],
                        "scored",
                        published,
                        score,
                        label,
                        0.8,
                        MODEL,
                        scored_at,
                    )
                )
                aid = next_id + i
                sentiments.append((aid, MODEL, score, label, 0.8, scored_at))
                for rank, s in enumerate(picked):
                    ts = max(-1.0, min(1.0, score + rng.uniform(-0.2, 0.2)))
                    links.append(
                        (
                            aid,
                            s,
                            published,
                            False,
                            1.0 / (rank + 1),
                            ts,
                            label_of(ts),
                            0.7,
                            [],
                            MODEL,
                            scored_at,
                        )
                    )
                if rng.random() < 0.4:
                    events.append(
                        (
                            aid,
                            MODEL,
                            0,
                            rng.choice(EVENT_TYPES),
                            picked[0],
                            None,
                            {"synthetic": True},
                            None,
                            0.7,
                            published,
                        )
                    )
            await _copy(conn, articles, links, sentiments, events, next_id + made)
            made += n
            rate = made / (time.perf_counter() - started)
            print(f"articles: {made}/{count} ({rate:,.0f}/s)", flush=True)
        await conn.execute("analyze")
    finally:
        await conn.close()


async def _copy(
    conn: asyncpg.Connection,
    articles: list[tuple[object, ...]],
    links: list[tuple[object, ...]],
    sentiments: list[tuple[object, ...]],
    events: list[tuple[object, ...]],
    first_id: int,
) -> None:
    async with conn.transaction():
        await conn.execute(f"select setval(pg_get_serial_sequence('articles', 'id'), {first_id}, false)")
        ids = await conn.fetch(
            "select nextval(pg_get_serial_sequence('articles', 'id')) as id from generate_series(1, $1)",
            len(articles),
        )
        rows = [(ids[k]["id"], *a) for k, a in enumerate(articles)]
        await conn.copy_records_to_table(
            "articles",
            records=rows,
            columns=[
                "id",
                "source_id",
                "external_id",
                "url",
                "content_hash",
                "title",
                "summary",
                "body",
                "authors",
                "published_at",
                "language",
                "explicit_tickers",
                "status",
                "ingested_at",
                "sentiment_score",
                "sentiment_label",
                "sentiment_confidence",
                "sentiment_model",
                "scored_at",
            ],
        )
        await conn.copy_records_to_table(
            "article_sentiment",
            records=sentiments,
            columns=["article_id", "model", "score", "label", "confidence", "scored_at"],
        )
        await conn.copy_records_to_table(
            "article_tickers",
            records=links,
            columns=[
                "article_id",
                "symbol",
                "published_at",
                "explicit",
                "relevance",
                "score",
                "label",
                "confidence",
                "highlights",
                "model",
                "scored_at",
            ],
        )
        await conn.copy_records_to_table(
            "events",
            records=events,
            columns=[
                "article_id",
                "model",
                "ordinal",
                "type",
                "symbol",
                "entity",
                "attributes",
                "evidence",
                "confidence",
                "published_at",
            ],
        )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.generate")
    parser.add_argument("--dsn", default=None, help="defaults to DATABASE_URL")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--append", action="store_true")
    args = parser.parse_args()
    import os

    dsn = args.dsn or os.environ.get("DATABASE_URL")
    if not dsn:
        sys.exit("set DATABASE_URL or pass --dsn")
    asyncio.run(generate(dsn, count=args.articles, seed=args.seed, append=args.append))


if __name__ == "__main__":
    main()
