"""Schema assembly: root types from each noun's module, the extension list, and the config, per Settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import strawberry
from strawberry.extensions import DisableIntrospection, ParserCache, SchemaExtension, ValidationCache
from strawberry.schema.config import StrawberryConfig

from core.settings import Settings
from schema.articles import ArticleQuery
from schema.errors import AppSchema, ErrorCodes
from schema.events import EventQuery
from schema.execution import FastExecutionContext
from schema.ingest import IngestMutation
from schema.limits import limit_extensions
from schema.scale import ScaleQuery
from schema.tickers import TickerQuery

ERRORS_DESCRIPTION: Final = """Tickertone: financial-news articles, tickers, market events and sentiment.

Errors: every entry of `errors` has `extensions.code`, a stable lowercase word shared with the REST API's
problem+json `code`: `not_found`, `invalid_input`, `validation_failed` (with `extensions.errors`
[{field, message}]), `invalid_cursor`, `out_of_range`, `unknown_ticker`, `batch_too_large`,
`unavailable` (retry after `extensions.retry_after` seconds); request-level `syntax_error`,
`invalid_query`, `invalid_variables`, `malformed_request`; and `internal` for anything unexpected,
whose message is masked. `extensions.field` names the argument or input field at fault."""


@strawberry.type(description=ERRORS_DESCRIPTION)
class Query(ArticleQuery, TickerQuery, EventQuery, ScaleQuery):
    pass


@strawberry.type(description="Writes. Each mutation is one transaction.")
class Mutation(IngestMutation):
    pass


ExtensionFactory = type[SchemaExtension] | Callable[[], SchemaExtension]


def extensions(settings: Settings) -> list[ExtensionFactory]:
    """The one list of schema extensions; classes or factories, never shared instances.

    Limits (depth, aliases, tokens, cost) and persisted operations go here, after ``ErrorCodes``
    so their rejections get codes too (or keep the ``extensions.code`` they set themselves).
    """
    chain: list[ExtensionFactory] = [
        # First, so its on_operation is the outermost: it sees every error, raised or returned.
        ErrorCodes,
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
    ]
    if not settings.development:
        chain.append(DisableIntrospection)
    chain.extend(limit_extensions(settings))
    return chain


def build_schema(settings: Settings) -> strawberry.Schema:
    return AppSchema(
        query=Query,
        mutation=Mutation,
        extensions=extensions(settings),
        config=StrawberryConfig(disable_field_suggestions=not settings.development),
        execution_context_class=FastExecutionContext,
    )
