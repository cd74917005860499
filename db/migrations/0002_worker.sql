-- Scoring worker: the order of model versions, per-ticker sentiment buckets, and queue indexes.

-- "Newest model" is the one registered last, not the one that happened to score last: a retried job of an
-- old model that finishes after a re-score must not take the article's current columns back.
create table scoring_models (
    model          text primary key,
    rank           bigint generated always as identity unique,
    registered_at  timestamptz not null default now()
);

-- Per-ticker sentiment series, from the current (newest model) rows of article_tickers. The worker
-- recomputes a bucket from article_tickers in the scoring transaction, so re-scores and duplicate
-- deliveries leave it exactly equal to a from-scratch aggregate. Buckets are UTC hours and days.
create table ticker_sentiment_buckets (
    symbol              text not null references tickers (symbol) on delete cascade,
    granularity         text not null check (granularity in ('hour', 'day')),
    bucket_start        timestamptz not null,
    article_count       int not null,
    relevance_sum       double precision not null,
    weighted_score_sum  double precision not null,
    score_sum           double precision not null,
    positive            int not null,
    negative            int not null,
    neutral             int not null,
    updated_at          timestamptz not null default now(),
    primary key (symbol, granularity, bucket_start)
);

-- Status and the dead-letter list look jobs up by article (admin endpoints, retry-failed).
create index score_jobs_article_idx on score_jobs (article_id);
