"""Ingest mutations: validate through ``core.records.ArticleIn``, then one service call, one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pydantic
import strawberry
from strawberry.types import Info

from core import records
from core.records import ArticleIn
from core.validation import validation_errors
from schema._fields import mutation
from schema.articles import Article
from schema.errors import camel_case_fields
from schema.loaders import Context
from services.ingest import ingest_articles

_BATCH = pydantic.TypeAdapter(list[ArticleIn])


@strawberry.input(
    description=(
        "One article. Idempotent on (source, externalId), else url, else a hash of title and body. "
        "Invalid values fail with extensions.code 'validation_failed' and extensions.errors "
        "[{field, message}] naming each field (e.g. 'input.publishedAt'); tickers missing from the "
        "reference table fail with 'unknown_ticker'."
    )
)
class ArticleInput:
    source: str
    external_id: str | None = None
    url: str | None = strawberry.field(default=None, description="Absolute http(s) URL.")
    title: str
    summary: str | None = None
    body: str
    authors: list[str] | None = None
    published_at: datetime = strawberry.field(
        description="With a time zone offset; naive times are rejected."
    )
    language: str | None = strawberry.field(default=None, description="Language tag; defaults to 'en'.")
    tickers: list[str] | None = strawberry.field(
        default=None, description="Tickers the article is known to be about (linked as explicit)."
    )

    def to_dict(self) -> dict[str, Any]:
        # Leave unset optionals out so ArticleIn's own defaults apply.
        data: dict[str, Any] = {
            "source": self.source,
            "title": self.title,
            "body": self.body,
            "published_at": self.published_at,
        }
        optional = {
            "external_id": self.external_id,
            "url": self.url,
            "summary": self.summary,
            "authors": self.authors,
            "language": self.language,
            "tickers": self.tickers,
        }
        data.update({k: v for k, v in optional.items() if v is not None})
        return data


@strawberry.type(
    description="created is false when the article already existed; article is then the stored one."
)
class IngestResult:
    article: Article
    created: bool

    @classmethod
    def from_record(cls, r: records.IngestResult) -> IngestResult:
        return cls(article=Article.from_record(r.article), created=r.created)


def _validate_one(item: ArticleInput) -> ArticleIn:
    try:
        return ArticleIn.model_validate(item.to_dict())
    except pydantic.ValidationError as exc:
        raise camel_case_fields(validation_errors(exc, prefix="input")) from exc


def _validate_many(items: list[ArticleInput]) -> list[ArticleIn]:
    try:
        return _BATCH.validate_python([i.to_dict() for i in items])
    except pydantic.ValidationError as exc:
        raise camel_case_fields(validation_errors(exc, prefix="input")) from exc


@strawberry.type
class IngestMutation:
    @mutation(description="Ingest one article and enqueue its scoring; status starts PENDING.")
    async def ingest_article(self, info: Info[Context, None], input: ArticleInput) -> IngestResult:
        results = await ingest_articles(info.context.deps, articles=[_validate_one(input)])
        return IngestResult.from_record(results[0])

    @mutation(
        description=(
            "Ingest up to 1,000 articles in one transaction: if any item is invalid nothing is written "
            "(empty batch: 'invalid_input'; too many: 'batch_too_large'). Results follow input order."
        )
    )
    async def ingest_articles(
        self, info: Info[Context, None], input: list[ArticleInput]
    ) -> list[IngestResult]:
        results = await ingest_articles(info.context.deps, articles=_validate_many(input))
        return [IngestResult.from_record(r) for r in results]
