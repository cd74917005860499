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
from schema.limits import Limits, limit_extensions
from schema.scale import ScaleQuery
from schema.tickers import TickerQuery

ERRORS_DESCRIPTION: Final = """Tickertone: financial-news articles, tickers, market events and sentiment.

Errors: every entry of `errors` has `extensions.code`, a stable lowercase word shared with the REST API's
problem+json `code`: `not_found`, `invalid_input`, `validation_failed` (with `extensions.errors`
[{field, message}]), `invalid_cursor`, `out_of_range`, `unknown_ticker`, `batch_too_large`,
`unavailable` (retry after `extensions.retry_after` seconds); request-level `syntax_error`,
`invalid_query`, `invalid_variables`, `malformed_request`; and `internal` for anything unexpected,
whose message is masked. `extensions.field` names the argument or input field at fault."""

_LIMITS = Limits()
LIMITS_DESCRIPTION: Final = f"""Limits, checked before anything runs; each refusal has its `extensions.code`
(the counted ones also `extensions.limit` and `extensions.value`): depth {_LIMITS.max_depth}
(`max_depth_exceeded`), {_LIMITS.max_aliases} aliases (`max_aliases_exceeded`), {_LIMITS.max_directives}
directives (`max_directives_exceeded`), {_LIMITS.max_root_fields} root fields (`max_root_fields_exceeded`),
{_LIMITS.max_tokens:,} tokens (`too_many_tokens`), `first` at most {_LIMITS.max_first} (`out_of_range`), one
operation per request (`batching_disabled`), and a cost of at most {_LIMITS.max_cost:,}
(`cost_limit_exceeded`): the number of objects the response can hold, each list counted at its `first`
(or {_LIMITS.assumed_list_size} when it has none), scalar fields free. A page of 100 articles with each
ticker's sentiment, highlights and reference ticker and each event's article costs 15,302."""


@strawberry.type(description=ERRORS_DESCRIPTION + "\n\n" + LIMITS_DESCRIPTION)
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
