"""Seed articles and the loader: the committed files validate as ingest input, the reference text is the
shared example's news and analysis, and loading into a real database is idempotent."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from core.records import ArticleIn
from seeds.load import (
    ARTICLES_PATH,
    REFERENCE_EXTERNAL_ID,
    REFERENCE_SOURCE,
    SEED_ARTICLE_PATH,
    load_seeds,
    read_articles,
    read_tickers,
)

ARTICLE_FIELDS = {
    "source",
    "external_id",
    "url",
    "title",
    "summary",
    "body",
    "authors",
    "published_at",
    "language",
    "tickers",
}
SHARED_SEED_ARTICLE = Path(__file__).resolve().parents[3] / "shared" / "seed-article.txt"


@pytest.fixture(scope="module")
def demo_articles() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(ARTICLES_PATH.read_text(encoding="utf-8"))
    return records


@pytest.fixture(scope="module")
def aliases_by_symbol() -> dict[str, tuple[str, ...]]:
    return {ticker.symbol: ticker.aliases for ticker in read_tickers()}


def test_about_thirty_demo_articles(demo_articles: list[dict[str, Any]]) -> None:
    assert 28 <= len(demo_articles) <= 35


def test_every_article_has_the_fields_and_validates(demo_articles: list[dict[str, Any]]) -> None:
    for record in demo_articles:
        assert set(record) == ARTICLE_FIELDS, record.get("external_id")
        article = ArticleIn.model_validate(record)
        assert article.source == "tickertone-demo"
        assert article.language == "en"
        assert article.authors
        assert article.summary
        assert article.url is not None and article.url.startswith("https://news.tickertone.example/")


def test_timestamps_are_iso_utc_in_the_demo_window(demo_articles: list[dict[str, Any]]) -> None:
    for record in demo_articles:
        assert record["published_at"].endswith("Z")
        published = datetime.fromisoformat(record["published_at"])
        assert datetime(2026, 9, 1, tzinfo=UTC) <= published < datetime(2026, 12, 1, tzinfo=UTC)


def test_keys_are_unique(demo_articles: list[dict[str, Any]]) -> None:
    for key in ("external_id", "url", "title"):
        values = [record[key] for record in demo_articles]
        assert len(values) == len(set(values)), key


def test_bodies_are_article_length(demo_articles: list[dict[str, Any]]) -> None:
    for record in demo_articles:
        assert 120 <= len(record["body"].split()) <= 400, record["external_id"]


def test_most_articles_leave_tickers_to_entity_linking(
    demo_articles: list[dict[str, Any]], aliases_by_symbol: dict[str, tuple[str, ...]]
) -> None:
    explicit = [record for record in demo_articles if record["tickers"]]
    assert len(explicit) <= len(demo_articles) // 5
    for record in explicit:
        assert set(record["tickers"]) <= set(aliases_by_symbol)


def test_companies_are_named_not_tickered(
    demo_articles: list[dict[str, Any]], aliases_by_symbol: dict[str, tuple[str, ...]]
) -> None:
    """Each article names at least one seeded company by a multi-word or unambiguous alias, and none uses a
    cashtag: the text has to be linked the way a partner's article would be."""
    names = sorted(
        {alias for aliases in aliases_by_symbol.values() for alias in aliases if not alias.startswith("$")},
        key=len,
        reverse=True,
    )
    pattern = re.compile(r"(?<![\w&])(" + "|".join(re.escape(name) for name in names) + r")(?![\w&])")
    for record in demo_articles:
        text = f"{record['title']}\n{record['body']}"
        assert pattern.search(text), record["external_id"]
        assert not re.search(r"\$[A-Z]{1,5}\b", text), record["external_id"]


def test_seed_text_is_the_news_and_the_analysis() -> None:
    text = SEED_ARTICLE_PATH.read_text(encoding="utf-8")
    paragraphs = [line for line in text.splitlines() if line.strip()]
    assert len(paragraphs) == 2
    assert paragraphs[0].startswith("Lumen Technologies agreed to buy")
    assert "Alkira for $475 million in cash" in paragraphs[0]
    assert paragraphs[1].startswith("This is less about a single tuck-in")
    for panel_line in ("Request Demo", "Overall Sentiment", "Sentiment Score", "0.68"):
        assert panel_line not in text


@pytest.mark.skipif(not SHARED_SEED_ARTICLE.exists(), reason="shared/ is not beside the checkout")
def test_seed_text_equals_the_first_two_paragraphs_of_the_shared_file() -> None:
    shared = [line for line in SHARED_SEED_ARTICLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert SEED_ARTICLE_PATH.read_text(encoding="utf-8") == "\n".join(shared[:2]) + "\n"


def test_reference_article_comes_first_with_lumn_explicit() -> None:
    articles = read_articles()
    reference = articles[0]
    assert reference.source == REFERENCE_SOURCE
    assert reference.external_id == REFERENCE_EXTERNAL_ID
    assert reference.title == "Lumen Technologies to buy Alkira for $475 million in cash"
    assert reference.published_at == datetime(2026, 11, 20, 13, 30, tzinfo=UTC)
    assert reference.tickers == ["LUMN"]
    assert reference.body == SEED_ARTICLE_PATH.read_text(encoding="utf-8").strip()
    assert len(articles) == 1 + len(json.loads(ARTICLES_PATH.read_text(encoding="utf-8")))


async def test_load_is_idempotent(conn: asyncpg.Connection) -> None:
    tickers = read_tickers()
    articles = read_articles()
    lines: list[str] = []

    first = await load_seeds(conn, tickers=tickers, articles=articles, progress=lines.append)
    second = await load_seeds(conn, tickers=tickers, articles=articles, progress=lines.append)

    assert first.tickers == second.tickers == len(tickers)
    assert first.articles == second.articles == len(articles)
    assert second.tickers_changed == 0
    assert second.articles_new == 0
    assert second.articles_existing == len(articles)
    # A load that changed nothing says nothing about the cache; one that did names the command.
    assert lines[-2:] == [
        f"tickers: {len(tickers)} upserted (0 inserted or changed)",
        f"articles: {len(articles)} (0 new, {len(articles)} existing)",
    ]
    hints = [line for line in lines if "python -m api cache invalidate" in line]
    assert len(hints) == (1 if first.tickers_changed or first.articles_new else 0)
    counts = await conn.fetchrow(
        """
        select (select count(*) from articles a join sources s on s.id = a.source_id
                where s.name = any($1::text[])) as articles,
               (select count(*) from score_jobs j join articles a on a.id = j.article_id
                join sources s on s.id = a.source_id where s.name = any($1::text[])) as jobs
        """,
        [REFERENCE_SOURCE, "tickertone-demo"],
    )
    assert counts is not None
    assert counts["articles"] == counts["jobs"] == len(articles)
    # Re-loading must not lose the alias rows entity linking and ticker search read.
    lumen = await conn.fetch("select alias from ticker_aliases where symbol = 'LUMN'")
    assert {"lumen technologies", "lumen", "$lumn"} <= {row["alias"] for row in lumen}


async def test_reference_article_is_linked_to_lumn_and_lumen_reaches_it(conn: asyncpg.Connection) -> None:
    await load_seeds(conn, tickers=read_tickers(), articles=read_articles())
    linked = await conn.fetch(
        """
        select t.symbol from article_tickers t
        join articles a on a.id = t.article_id join sources s on s.id = a.source_id
        where s.name = $1 and a.external_id = $2
        """,
        REFERENCE_SOURCE,
        REFERENCE_EXTERNAL_ID,
    )
    assert [row["symbol"] for row in linked] == ["LUMN"]
    reached = await conn.fetch(
        "select alias, symbol from ticker_aliases where alias = any($1::text[]) order by alias",
        ["lumen technologies", "lumen", "$lumn"],
    )
    assert {(row["alias"], row["symbol"]) for row in reached} == {
        ("lumen technologies", "LUMN"),
        ("lumen", "LUMN"),
        ("$lumn", "LUMN"),
    }
