-- PostGraphile v4 has no date-range filter without the connection-filter plugin; this function gives it
-- the same Q3 (a ticker's articles in a date range, newest first) over the same index as ours.
create schema if not exists peer;
create or replace function peer.ticker_articles(sym text, from_ts timestamptz, to_ts timestamptz)
returns setof public.articles language sql stable as $$
    select a.* from public.article_tickers t join public.articles a on a.id = t.article_id
    where t.symbol = sym and t.published_at >= from_ts and t.published_at < to_ts
    order by t.published_at desc, t.article_id desc
$$;
