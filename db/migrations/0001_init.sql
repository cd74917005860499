-- Core schema: articles and their sources, reference tickers, scores per model version, events, the job queue.

create table sources (
    id          bigint generated always as identity primary key,
    name        text not null unique,
    created_at  timestamptz not null default now()
);

create table articles (
    id                    bigint generated always as identity primary key,
    source_id             bigint not null references sources (id),
    external_id           text,
    url                   text,
    content_hash          bytea not null,
    title                 text not null,
    summary               text,
    body                  text not null,
    authors               text[] not null default '{}',
    published_at          timestamptz not null,
    language              text not null default 'en',
    explicit_tickers      text[] not null default '{}',
    status                text not null default 'pending' check (status in ('pending', 'scored', 'failed')),
    ingested_at           timestamptz not null default now(),
    -- The current (newest model) overall sentiment, copied here so list filters need no join;
    -- article_sentiment keeps every model version.
    sentiment_score       real check (sentiment_score between -1 and 1),
    sentiment_label       text,
    sentiment_confidence  real check (sentiment_confidence between 0 and 1),
    sentiment_model       text,
    scored_at             timestamptz,
    search                tsvector generated always as (
        setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')
    ) stored
);

-- Idempotency keys, in order of precedence: (source, external_id), else url, else content hash.
create unique index articles_source_external_key on articles (source_id, external_id) where external_id is not null;
create unique index articles_url_key on articles (url) where url is not null;
create unique index articles_content_hash_key on articles (content_hash) where external_id is null and url is null;

create index articles_published_idx on articles (published_at desc, id desc);
create index articles_source_published_idx on articles (source_id, published_at desc, id desc);
create index articles_score_published_idx on articles (sentiment_score, published_at desc) where sentiment_score is not null;
create index articles_label_published_idx on articles (sentiment_label, published_at desc, id desc) where sentiment_label is not null;
create index articles_unscored_idx on articles (status) where status <> 'scored';
create index articles_search_idx on articles using gin (search);

create table tickers (
    symbol      text primary key,
    name        text not null,
    exchange    text,
    sector      text,
    industry    text,
    aliases     text[] not null default '{}',
    -- Aliases that are also ordinary words ("Target", "Block"): entity linking needs more evidence.
    ambiguous_aliases text[] not null default '{}',
    updated_at  timestamptz not null default now()
);
create index tickers_name_idx on tickers (lower(name) text_pattern_ops);

-- Every name that reaches a ticker, lower-cased, for lookups by alias ("lumen" -> LUMN).
create table ticker_aliases (
    alias   text not null,
    symbol  text not null references tickers (symbol) on delete cascade,
    primary key (alias, symbol)
);
create index ticker_aliases_symbol_idx on ticker_aliases (symbol);

-- The current link of an article to a ticker, with the newest model's ticker sentiment.
-- published_at is copied from articles so a ticker's articles in a date range are one index range scan.
create table article_tickers (
    article_id    bigint not null references articles (id) on delete cascade,
    symbol        text not null references tickers (symbol),
    published_at  timestamptz not null,
    explicit      boolean not null default false,
    relevance     real check (relevance between 0 and 1),
    score         real check (score between -1 and 1),
    label         text,
    confidence    real check (confidence between 0 and 1),
    highlights    jsonb not null default '[]',
    model         text,
    scored_at     timestamptz,
    primary key (article_id, symbol)
);
create index article_tickers_symbol_published_idx on article_tickers (symbol, published_at desc, article_id desc);

-- Point-in-time history: one row per (article, model version), never overwritten by a newer model.
create table article_sentiment (
    article_id  bigint not null references articles (id) on delete cascade,
    model       text not null,
    score       real not null check (score between -1 and 1),
    label       text not null,
    confidence  real not null check (confidence between 0 and 1),
    scored_at   timestamptz not null default now(),
    primary key (article_id, model)
);

create table article_ticker_sentiment (
    article_id  bigint not null references articles (id) on delete cascade,
    symbol      text not null references tickers (symbol),
    model       text not null,
    relevance   real not null check (relevance between 0 and 1),
    score       real not null check (score between -1 and 1),
    label       text not null,
    confidence  real not null check (confidence between 0 and 1),
    highlights  jsonb not null default '[]',
    scored_at   timestamptz not null default now(),
    primary key (article_id, symbol, model)
);

create table events (
    id            bigint generated always as identity primary key,
    article_id    bigint not null references articles (id) on delete cascade,
    model         text not null,
    ordinal       int not null,
    type          text not null,
    symbol        text references tickers (symbol),
    entity        text,
    attributes    jsonb not null default '{}',
    evidence      jsonb,
    confidence    real not null check (confidence between 0 and 1),
    published_at  timestamptz not null,
    created_at    timestamptz not null default now(),
    unique (article_id, model, ordinal)
);
create index events_published_idx on events (published_at desc, id desc);
create index events_type_published_idx on events (type, published_at desc, id desc);
create index events_symbol_published_idx on events (symbol, published_at desc, id desc) where symbol is not null;
create index events_article_idx on events (article_id);

-- The scoring queue. A job is inserted in the same transaction as its article.
create table score_jobs (
    id            bigint generated always as identity primary key,
    article_id    bigint not null references articles (id) on delete cascade,
    model         text,
    status        text not null default 'queued' check (status in ('queued', 'running', 'done', 'failed')),
    priority      int not null default 0,
    attempts      int not null default 0,
    max_attempts  int not null default 5,
    run_after     timestamptz not null default now(),
    locked_by     text,
    locked_at     timestamptz,
    heartbeat_at  timestamptz,
    last_error    text,
    created_at    timestamptz not null default now(),
    finished_at   timestamptz
);
create unique index score_jobs_open_key on score_jobs (article_id, coalesce(model, '')) where status in ('queued', 'running');
create index score_jobs_claim_idx on score_jobs (priority desc, run_after, id) where status = 'queued';
create index score_jobs_running_idx on score_jobs (heartbeat_at) where status = 'running';
create index score_jobs_failed_idx on score_jobs (finished_at desc) where status = 'failed';

create function score_jobs_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('score_jobs', '');
    return null;
end $$;

create trigger score_jobs_notify after insert on score_jobs
    for each statement execute function score_jobs_notify();
