"""GraphQL errors: every error leaves with ``extensions.code``; only unexpected ones are masked.

Codes are the lowercase codes of ``core.errors`` (the same words REST puts in problem+json ``code``),
plus the request-level ones GraphQL adds itself:

- ``syntax_error``: the document does not parse;
- ``invalid_query``: it parses but fails validation (unknown field, wrong argument type, ...);
- ``invalid_variables``: a variable cannot be coerced to its declared type (bad DateTime, wrong type);
- ``malformed_request``/``method_not_allowed``/``not_found``: the HTTP request itself (see ``schema.view``);
- ``internal``: anything unexpected; the message is masked and the exception logged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any, Final

from graphql import GraphQLError
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import SchemaExtension
from strawberry.schema import Schema
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionContext

from core.errors import InvalidInput, TickertoneError

log = logging.getLogger("tickertone.graphql")

MASKED_MESSAGE: Final = "Unexpected error."
SYNTAX_ERROR: Final = "syntax_error"
INVALID_QUERY: Final = "invalid_query"
INVALID_VARIABLES: Final = "invalid_variables"
INTERNAL: Final = "internal"

# Strawberry turns these into HTTP 400 itself (no query, unknown operation, mutation over GET).
_HTTP_LEVEL: Final = (MissingQueryError, CannotGetOperationTypeError, InvalidOperationTypeError)
# Scalar and input coercion raise these; they describe the client's value, not our bug.
_COERCION_ERRORS: Final = (GraphQLError, ValueError, TypeError)


def is_unexpected(error: GraphQLError) -> bool:
    """True for errors that are our bug (or an outage we did not classify): mask and log them.

    Errors without a path arise before any resolver runs (parse, validation, variable coercion),
    so they are always about the client's request unless something other than coercion raised.
    """
    original = error.original_error
    if original is None or isinstance(original, TickertoneError):
        return False
    if error.path is None:
        return not isinstance(original, _COERCION_ERRORS)
    return not isinstance(original, GraphQLError)


_SNAKE = re.compile(r"_([a-z])")


def _to_camel(path: str) -> str:
    return _SNAKE.sub(lambda m: m.group(1).upper(), path)


def camel_case_fields(exc: InvalidInput) -> InvalidInput:
    """The same failure with pydantic's snake_case field paths renamed to the camelCase the client sent."""
    errors = exc.details.get("errors")
    details = dict(exc.details)
    if isinstance(errors, list):
        details["errors"] = [{**e, "field": _to_camel(str(e["field"]))} for e in errors]
    field = _to_camel(exc.field) if exc.field else None
    message = exc.message
    if exc.field and message.startswith(f"{exc.field}: "):
        message = f"{field}: {message[len(exc.field) + 2 :]}"
    return InvalidInput(message, field=field, code=exc.code, details=details)


def _extensions(error: GraphQLError, phase_code: str) -> dict[str, Any]:
    extensions: dict[str, Any] = dict(error.extensions or {})
    original = error.original_error
    if isinstance(original, TickertoneError):
        extensions["code"] = original.code
        if isinstance(original, InvalidInput) and original.field is not None:
            extensions.setdefault("field", original.field)
        for key, value in original.details.items():
            extensions.setdefault(key, value)
    # Limits and other extensions may have set their own code already; keep it.
    extensions.setdefault("code", phase_code)
    return extensions


class ErrorCodes(SchemaExtension):
    """Adds ``extensions.code`` to every error and masks the unexpected ones.

    Runs around the whole operation, after ``AppSchema.process_errors`` has logged originals.
    """

    def __init__(self) -> None:
        self._validated = False

    def on_validate(self) -> Iterator[None]:
        yield
        self._validated = not self.execution_context.pre_execution_errors

    def on_operation(self) -> Iterator[None]:
        self._validated = False
        try:
            yield
        except GraphQLError as error:
            # ParserCache parses while entering on_parse, outside strawberry's own handler, so a
            # syntax error escapes the operation as an exception and skips the rewrite below.
            error.extensions = {"code": self._phase_code(error), **(error.extensions or {})}
            raise
        except _HTTP_LEVEL:
            raise
        except Exception as exc:
            # An extension failed outside any resolver; strawberry would return str(exc) verbatim.
            log.error("graphql operation error", exc_info=exc)
            raise GraphQLError(MASKED_MESSAGE, extensions={"code": INTERNAL}) from exc
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is None or not errors:
            return
        result.errors = [self._rewrite(e) for e in errors]

    def _phase_code(self, error: GraphQLError) -> str:
        if error.path is not None:
            # Raised while resolving without a code of its own: ours to explain, not the client's.
            return INTERNAL
        if self.execution_context.graphql_document is None:
            return SYNTAX_ERROR
        return INVALID_VARIABLES if self._validated else INVALID_QUERY

    def _rewrite(self, error: GraphQLError) -> GraphQLError:
        if is_unexpected(error):
            return GraphQLError(
                MASKED_MESSAGE,
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                extensions={"code": INTERNAL},
            )
        message = error.message
        if isinstance(error.original_error, TickertoneError):
            message = error.original_error.message
        return GraphQLError(
            message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=error.original_error,
            extensions=_extensions(error, self._phase_code(error)),
        )


class AppSchema(Schema):
    """Logs only unexpected errors (with traceback); the default logs every client mistake too."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if is_unexpected(error):
                log.error("graphql resolver error: %s", error.message, exc_info=error.original_error)
