"""SQL for articles: idempotent batch ingest with its scoring jobs, keyset listing with filters."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from core.records import Article, ArticleFilter, ArticleIn, IngestResult, Order, Sentiment
from core.scale import label_range

ARTICLE_COLUMNS = """
    a.id, s.name as source, a.external_id, a.url, a.title, a.summary, a.body, a.authors, a.published_at,
    a.language, a.status, a.ingested_at, a.sentiment_score, a.sentiment_label, a.sentiment_confidence,
    a.sentiment_model, a.scored_at
"""


def content_hash(title: str, body: str) -> bytes:
    """Whitespace- and case-insensitive digest, the idempotency key of last resort."""
    normalized = re.sub(r"\s+", " ", f"{title}\n{body}").strip().lower()
    return hashlib.sha256(normalized.encode("utf-8")).digest()


def article_from_row(row: asyncpg.Record) -> Article:
    sentiment = None
    if row["sentiment_score"] is not None:
        sentiment = Sentiment(
            score=row["sentiment_score"],
            label=row["sentiment_label"],
            confidence=row["sentiment_confidence"],
            model=row["sentiment_model"],
            scored_at=row["scored_at"],
        )
    return Article(
        id=row["id"],
        source=row["source"],
        external_id=row["external_id"],
        url=row["url"],
        title=row["title"],
        summary=row["summary"],
        body=row["body"],
        authors=tuple(row["authors"]),
        published_at=row["published_at"],
        language=row["language"],
        status=row["status"],
        ingested_at=row["ingested_at"],
        sentiment=sentiment,
    )


_UPSERT_SOURCES = """
insert into sources (name) select distinct unnest($1::text[]) on conflict (name) do nothing
"""
_SOURCE_IDS = "select id, name from sources where name = any($1::text[])"

# ON CONFLICT DO NOTHING without a target covers all three idempotency indexes, and also
# duplicates inside the same batch; whatever it skips is looked up below.
_INSERT = """
insert into articles (source_id, external_id, url, content_hash, title, summary, body, authors,
                      published_at, language, explicit_tickers)
select t.source_id, t.external_id, t.url, t.content_hash, t.title, t.summary, t.body,
       array(select jsonb_array_elements_text(t.authors::jsonb)), t.published_at, t.language,
       array(select jsonb_array_elements_text(t.tickers::jsonb))
from unnest($1::bigint[], $2::text[], $3::text[], $4::bytea[], $5::text[], $6::text[], $7::text[],
            $8::text[], $9::timestamptz[], $10::text[], $11::text[])
    with ordinality as t(source_id, external_id, url, content_hash, title, summary, body, authors,
                         published_at, language, tickers, n)
order by t.n
on conflict do nothing
returning id
"""

_FIND_EXISTING = f"""
select {ARTICLE_COLUMNS}, a.source_id, a.content_hash, a.explicit_tickers
from articles a join sources s on s.id = a.source_id
where (a.source_id, a.external_id) in (select * from unnest($1::bigint[], $2::text[]))
   or a.url = any($3::text[])
   or (a.content_hash = any($4::bytea[]) and a.external_id is null and a.url is null)
"""

_ENQUEUE = """
insert into score_jobs (article_id) select unnest($1::bigint[])
on conflict do nothing
"""

_LINK_EXPLICIT = """
insert into article_tickers (article_id, symbol, published_at, explicit)
select a.id, t.symbol, a.published_at, true
from unnest($1::bigint[], $2::text[]) as t(article_id, symbol)
join articles a on a.id = t.article_id
on conflict (article_id, symbol) do update set explicit = true
"""


async def upsert_articles(conn: asyncpg.Connection, *, articles: Sequence[ArticleIn]) -> list[IngestResult]:
    """Insert new articles and enqueue their scoring jobs in one transaction.

    Results come back in input order; an article that already existed (by source + external id,
    else url, else content hash) is returned as it is stored, with ``created=False``.
    """
    if not articles:
        return []
    async with conn.transaction():
        names = sorted({a.source for a in articles})
        await conn.execute(_UPSERT_SOURCES, names)
        source_ids = {r["name"]: r["id"] for r in await conn.fetch(_SOURCE_IDS, names)}
        hashes = [content_hash(a.title, a.body) for a in articles]
        inserted = await conn.fetch(
            _INSERT,
            [source_ids[a.source] for a in articles],
            [a.external_id for a in articles],
            [a.url for a in articles],
            hashes,
            [a.title for a in articles],
            [a.summary for a in articles],
            [a.body for a in articles],
            [orjson.dumps(a.authors).decode() for a in articles],
            [a.published_at for a in articles],
            [a.language for a in articles],
            [orjson.dumps(a.tickers).decode() for a in articles],
        )
        new_ids = {r["id"] for r in inserted}
        with_ext = [a for a in articles if a.external_id is not None]
        rows = await conn.fetch(
            _FIND_EXISTING,
            [source_ids[a.source] for a in with_ext],
            [a.external_id for a in with_ext],
            [a.url for a in articles if a.url is not None],
            hashes,
        )
        by_ext = {(r["source_id"], r["external_id"]): r for r in rows if r["external_id"] is not None}
        by_url = {r["url"]: r for r in rows if r["url"] is not None}
        by_hash = {bytes(r["content_hash"]): r for r in rows if r["external_id"] is None and r["url"] is None}
        matched: list[asyncpg.Record] = []
        for article, digest in zip(articles, hashes, strict=True):
            row = None
            if article.external_id is not None:
                row = by_ext.get((source_ids[article.source], article.external_id))
            if row is None and article.url is not None:
                row = by_url.get(article.url)
            if row is None:
                row = by_hash.get(digest)
            if row is None:
                # Conflicted with a row we cannot see by key (e.g. same url under another
                # external id was matched first); fall back to any row found for this input.
                raise RuntimeError("ingested article could not be found again")  # pragma: no cover
            matched.append(row)
        created_ids = sorted(new_ids)
        await conn.execute(_ENQUEUE, created_ids)
        links = [
            (row["id"], symbol)
            for row, article in zip(matched, articles, strict=True)
            if row["id"] in new_ids
            for symbol in article.tickers
        ]
        if links:
            await conn.execute(_LINK_EXPLICIT, [i for i, _ in links], [s for _, s in links])
    seen: set[int] = set()
    results: list[IngestResult] = []
    for row in matched:
        # Within one batch, only the first occurrence of a new article counts as created.
        created = row["id"] in new_ids and row["id"] not in seen
        seen.add(row["id"])
        results.append(IngestResult(article=article_from_row(row), created=created))
    return results


_GET = f"""
select {ARTICLE_COLUMNS} from articles a join sources s on s.id = a.source_id where a.id = $1
"""
_GET_MANY = f"""
select {ARTICLE_COLUMNS} from articles a join sources s on s.id = a.source_id where a.id = any($1::bigint[])
"""


async def get_article(conn: asyncpg.Connection, *, article_id: int) -> Article | None:
    row = await conn.fetchrow(_GET, article_id)
    return article_from_row(row) if row is not None else None


async def get_articles(conn: asyncpg.Connection, *, article_ids: Sequence[int]) -> dict[int, Article]:
    rows = await conn.fetch(_GET_MANY, list(article_ids))
    return {r["id"]: article_from_row(r) for r in rows}


class SqlParams:
    """Collects WHERE clauses with numbered parameters for the dynamic queries over articles."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.args: list[Any] = []

    def arg(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}"

    def where(self, clause: str) -> None:
        self.clauses.append(clause)


@dataclass(frozen=True, slots=True)
class PageScan:
    """The FROM, WHERE and keyset ORDER BY of a page of articles: ``a`` is the article row."""

    source: str
    where: str
    key_time: str
    key_id: str
    direction: str

    @property
    def order_by(self) -> str:
        return f"{self.key_time} {self.direction}, {self.key_id} {self.direction}"

    def numbered(self, columns: str, limit: int) -> str:
        """A subquery: the page's first ``limit`` rows with ``columns`` (and the keyset ``k_time``,
        ``k_id``), each numbered ``n`` from 1 in page order. The limit is inlined, not a parameter:
        with a known LIMIT the generic plan Postgres caches is the good one."""
        page = (
            f"select {columns}, {self.key_time} as k_time, {self.key_id} as k_id from {self.source}"
            f" where {self.where} order by {self.order_by} limit {int(limit)}"
        )
        return (
            f"select y.*, row_number() over (order by y.k_time {self.direction}, y.k_id {self.direction})"
            f" as n from ({page}) y"
        )


def page_scan(
    q: SqlParams,
    *,
    filter: ArticleFilter,
    order: Order,
    after: tuple[datetime, int] | None,
    with_source: bool = True,
) -> PageScan:
    """The rows of a keyset page on (published_at, id); ``after`` is the last row of the previous page.

    Its parameters go to ``q`` (numbered after any already there); ``with_source`` joins ``sources s``.
    """
    start = len(q.clauses)
    desc = order == "published_desc"
    # A single ticker drives the query from article_tickers' (symbol, published_at, article_id)
    # index: one range scan, no join fan-out. Several tickers fall back to semi-joins.
    single = len(filter.tickers_any) == 1 and not filter.tickers_all
    key_time, key_id = ("t.published_at", "t.article_id") if single else ("a.published_at", "a.id")
    if single:
        q.where(f"t.symbol = {q.arg(filter.tickers_any[0])}")
    elif filter.tickers_any:
        q.where(
            "exists (select 1 from article_tickers t2 where t2.article_id = a.id"
            f" and t2.symbol = any({q.arg(list(filter.tickers_any))}::text[]))"
        )
    for symbol in filter.tickers_all:
        q.where(
            "exists (select 1 from article_tickers t3 where t3.article_id = a.id"
            f" and t3.symbol = {q.arg(symbol)})"
        )
    if filter.published_from is not None:
        q.where(f"{key_time} >= {q.arg(filter.published_from)}")
    if filter.published_to is not None:
        q.where(f"{key_time} < {q.arg(filter.published_to)}")
    if filter.score_min is not None:
        q.where(f"a.sentiment_score >= {q.arg(filter.score_min)}")
    if filter.score_max is not None:
        q.where(f"a.sentiment_score <= {q.arg(filter.score_max)}")
    if filter.labels:
        ranges = [label_range(label) for label in filter.labels]
        q.where(f"a.sentiment_label = any({q.arg(list(filter.labels))}::text[])")
        q.where(
            f"a.sentiment_score between {q.arg(min(r[0] for r in ranges))}"
            f" and {q.arg(max(r[1] for r in ranges))}"
        )
    if filter.event_types:
        q.where(
            "exists (select 1 from events e where e.article_id = a.id and e.model = a.sentiment_model"
            f" and e.type = any({q.arg(list(filter.event_types))}::text[]))"
        )
    if filter.sources:
        q.where(
            f"a.source_id in (select id from sources where name = any({q.arg(list(filter.sources))}::text[]))"
        )
    if filter.search:
        q.where(f"a.search @@ websearch_to_tsquery('english', {q.arg(filter.search)})")
    if filter.status is not None:
        q.where(f"a.status = {q.arg(filter.status)}")
    if after is not None:
        op = "<" if desc else ">"
        q.where(f"({key_time}, {key_id}) {op} ({q.arg(after[0])}, {q.arg(after[1])})")
    source = "article_tickers t join articles a on a.id = t.article_id" if single else "articles a"
    if with_source:
        source += " join sources s on s.id = a.source_id"
    return PageScan(
        source=source,
        where=" and ".join(q.clauses[start:]) or "true",
        key_time=key_time,
        key_id=key_id,
        direction="desc" if desc else "asc",
    )


async def list_articles(
    conn: asyncpg.Connection,
    *,
    filter: ArticleFilter,
    order: Order,
    limit: int,
    after: tuple[datetime, int] | None,
) -> list[Article]:
    """A keyset page on (published_at, id); ``after`` is the last row of the previous page."""
    q = SqlParams()
    scan = page_scan(q, filter=filter, order=order, after=after)
    sql = (
        f"select {ARTICLE_COLUMNS} from {scan.source} where {scan.where}"
        f" order by {scan.order_by} limit {q.arg(limit)}"
    )
    rows = await conn.fetch(sql, *q.args)
    return [article_from_row(r) for r in rows]


async def list_articles_per_ticker(
    conn: asyncpg.Connection,
    *,
    symbols: Sequence[str],
    limit: int,
    after: tuple[datetime, int] | None,
    published_from: datetime | None,
    published_to: datetime | None,
) -> dict[str, list[Article]]:
    """The same keyset page, newest first, for each of several tickers in one statement: one index range
    scan on article_tickers (symbol, published_at, article_id) per symbol, under a lateral join."""
    q = SqlParams()
    q.where("t.symbol = l0.symbol")
    if published_from is not None:
        q.where(f"t.published_at >= {q.arg(published_from)}")
    if published_to is not None:
        q.where(f"t.published_at < {q.arg(published_to)}")
    if after is not None:
        q.where(f"(t.published_at, t.article_id) < ({q.arg(after[0])}, {q.arg(after[1])})")
    sql = f"""
        select l.symbol as linked_symbol, {ARTICLE_COLUMNS}
        from unnest({q.arg(list(symbols))}::text[]) as l0(symbol)
        cross join lateral (
            select t.symbol, t.article_id, t.published_at from article_tickers t
            where {" and ".join(q.clauses)}
            order by t.published_at desc, t.article_id desc limit {q.arg(limit)}
        ) l
        join articles a on a.id = l.article_id join sources s on s.id = a.source_id
        order by l.symbol, l.published_at desc, l.article_id desc
    """
    found: dict[str, list[Article]] = {symbol: [] for symbol in symbols}
    for row in await conn.fetch(sql, *q.args):
        found[row["linked_symbol"]].append(article_from_row(row))
    return found
