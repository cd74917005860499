"""SQL for per-ticker sentiment series: hour and day buckets over the current ``article_tickers`` rows.

A bucket is recomputed from its source rows rather than adjusted by deltas, so it cannot drift: after
any mix of re-scores, duplicate deliveries and retries it equals a from-scratch aggregate.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg

from core.records import SeriesInterval, SeriesPoint

STEP: dict[SeriesInterval, timedelta] = {"hour": timedelta(hours=1), "day": timedelta(days=1)}


def bucket_start(moment: datetime, interval: SeriesInterval) -> datetime:
    utc = moment.astimezone(UTC)
    if interval == "hour":
        return utc.replace(minute=0, second=0, microsecond=0)
    return utc.replace(hour=0, minute=0, second=0, microsecond=0)


# Two transactions refreshing the same bucket would each aggregate without the other's uncommitted
# row and the later write would lose the earlier one. So each first locks its bucket rows (creating
# them if needed) in one global key order, which also rules out deadlocks; the aggregate statement
# that follows takes a fresh READ COMMITTED snapshot that includes every writer that held the lock before.
_ENSURE = """
insert into ticker_sentiment_buckets as b
    (symbol, granularity, bucket_start, article_count, relevance_sum, weighted_score_sum, score_sum,
     positive, negative, neutral)
select k.symbol, k.granularity, k.bucket_start, 0, 0, 0, 0, 0, 0, 0
from unnest($1::text[], $2::text[], $3::timestamptz[]) as k(symbol, granularity, bucket_start)
order by k.symbol, k.granularity, k.bucket_start
on conflict do nothing
"""

_LOCK = """
select 1 from ticker_sentiment_buckets
where (symbol, granularity, bucket_start) in
      (select * from unnest($1::text[], $2::text[], $3::timestamptz[]))
order by symbol, granularity, bucket_start
for update
"""

# Polarity uses the published scale's neutral band (-0.15, 0.15), on the ticker's score.
_RECOMPUTE = """
with k as (
    select * from unnest($1::text[], $2::text[], $3::timestamptz[]) as k(symbol, granularity, bucket_start)
), agg as (
    select k.symbol, k.granularity, k.bucket_start,
           count(t.score) as n,
           coalesce(sum(t.relevance::float8), 0) as relevance_sum,
           coalesce(sum(t.relevance::float8 * t.score::float8), 0) as weighted_score_sum,
           coalesce(sum(t.score::float8), 0) as score_sum,
           count(*) filter (where t.score >= 0.15) as positive,
           count(*) filter (where t.score <= -0.15) as negative,
           count(*) filter (where t.score > -0.15 and t.score < 0.15) as neutral
    from k
    left join article_tickers t
        on t.symbol = k.symbol and t.score is not null
       and t.published_at >= k.bucket_start
       and t.published_at < k.bucket_start
           + case k.granularity when 'hour' then interval '1 hour' else interval '24 hours' end
    group by k.symbol, k.granularity, k.bucket_start
)
update ticker_sentiment_buckets b
set article_count = agg.n, relevance_sum = agg.relevance_sum, weighted_score_sum = agg.weighted_score_sum,
    score_sum = agg.score_sum, positive = agg.positive, negative = agg.negative, neutral = agg.neutral,
    updated_at = now()
from agg
where b.symbol = agg.symbol and b.granularity = agg.granularity and b.bucket_start = agg.bucket_start
"""

_DROP_EMPTY = """
delete from ticker_sentiment_buckets
where (symbol, granularity, bucket_start) in
      (select * from unnest($1::text[], $2::text[], $3::timestamptz[]))
  and article_count = 0
"""


async def refresh_buckets(
    conn: asyncpg.Connection, *, symbols: Sequence[str], published_at: datetime
) -> None:
    """Recompute the hour and day buckets of ``symbols`` holding ``published_at``, inside a transaction."""
    if not symbols:
        return
    keys = sorted(
        (symbol, interval, bucket_start(published_at, interval))
        for symbol in set(symbols)
        for interval in STEP
    )
    args = ([k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys])
    await conn.execute(_ENSURE, *args)
    await conn.execute(_LOCK, *args)
    await conn.execute(_RECOMPUTE, *args)
    await conn.execute(_DROP_EMPTY, *args)


# Dense: one point per symbol and bucket in [start, end), zeros where no article fell. Steps are in
# seconds, not days: '1 day' in a DST session time zone is sometimes 23 or 25 hours, a UTC day never is.
_SERIES = """
select s.symbol, g.bucket_start, coalesce(b.article_count, 0) as article_count, b.relevance_sum,
       b.weighted_score_sum, b.score_sum, coalesce(b.positive, 0) as positive,
       coalesce(b.negative, 0) as negative, coalesce(b.neutral, 0) as neutral
from unnest($1::text[]) as s(symbol)
cross join generate_series($3::timestamptz, $4::timestamptz, $5 * interval '1 second') as g(bucket_start)
left join ticker_sentiment_buckets b
    on b.symbol = s.symbol and b.granularity = $2 and b.bucket_start = g.bucket_start
where g.bucket_start < $4
order by s.symbol, g.bucket_start
"""


async def list_series(
    conn: asyncpg.Connection, *, symbol: str, interval: SeriesInterval, start: datetime, end: datetime
) -> list[SeriesPoint]:
    """Points for buckets starting in [bucket_start(start), end); the caller bounds the count."""
    found = await list_series_of(conn, symbols=[symbol], interval=interval, start=start, end=end)
    return found[symbol]


async def list_series_of(
    conn: asyncpg.Connection,
    *,
    symbols: Sequence[str],
    interval: SeriesInterval,
    start: datetime,
    end: datetime,
) -> dict[str, list[SeriesPoint]]:
    """``list_series`` for several symbols in one query; every symbol asked for gets its points."""
    step = STEP[interval]
    first = bucket_start(start, interval)
    unique = sorted(set(symbols))
    rows = await conn.fetch(_SERIES, unique, interval, first, end, step.total_seconds())
    points: dict[str, list[SeriesPoint]] = {symbol: [] for symbol in unique}
    for r in rows:
        count = r["article_count"]
        score: float | None = None
        if count:
            # A relevance of 0 everywhere would divide by zero; the plain mean is the honest fallback.
            rel = r["relevance_sum"]
            mean = r["weighted_score_sum"] / rel if rel > 0 else r["score_sum"] / count
            # Scores are published with four decimals; the sums carry float32 noise from real columns.
            score = round(mean, 4)
        points[r["symbol"]].append(
            SeriesPoint(
                start=r["bucket_start"],
                end=r["bucket_start"] + step,
                article_count=count,
                score=score,
                positive=r["positive"],
                negative=r["negative"],
                neutral=r["neutral"],
            )
        )
    return points
