"""Compiled reads: a query that selects only article fields the database can render runs as ONE statement.

graphql-core resolves a page of articles field by field in Python and the tickers and events are more
queries. For the documents front-ends send all day (``article``, ``articles`` with their nested
sentiment, tickers and events) that work is mechanical, so ``CompiledQueries`` turns such a document,
once, into a ``core.projections`` plan; each request then binds its variables, and
``services.articles.get_data_json`` returns the whole ``data`` object as JSON text built by Postgres.

A document is compiled only after it parses and validates exactly as the schema would (the schema's own
validation rules, token limit and extensions; an extension this module does not know disables compiling),
when it is one query operation without directives, and when EVERY field it selects is in ``_PARTS``
(aliases, ``__typename``, fragments and variables are fine). Anything else, and any request whose
arguments or data would give an error (an unknown id, a bad cursor or filter, ``first`` out of range,
a row the schema could not serialize), returns None: the caller runs strawberry as usual, so errors
are exactly today's. ``tests/schema/test_compiled.py`` compares both paths on many documents.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final

import orjson
import strawberry
from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    get_named_type,
    is_enum_type,
    is_leaf_type,
    parse,
    specified_rules,
)
from graphql.execution.collect_fields import (
    FieldDetails,
    FragmentDetails,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.schema.schema import validate_document
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField

from core.errors import TickertoneError
from core.projections import CONSTANT, ArticleLookup, ArticlePageLookup, Lookup, Part
from schema.articles import record_order, to_record_filter
from schema.errors import ErrorCodes
from schema.pagination import parse_id
from services import articles as service
from services.deps import Deps

log = logging.getLogger("tickertone.graphql.compiled")

# GraphQL type -> field -> (part name, the type of its sub-selection or None for a leaf).
_PARTS: Final[Mapping[str, Mapping[str, tuple[str, str | None]]]] = {
    "Article": {
        "id": ("id", None),
        "source": ("source", None),
        "externalId": ("external_id", None),
        "url": ("url", None),
        "title": ("title", None),
        "summary": ("summary", None),
        "body": ("body", None),
        "authors": ("authors", None),
        "publishedAt": ("published_at", None),
        "language": ("language", None),
        "status": ("status", None),
        "sentiment": ("sentiment", "Sentiment"),
        "tickers": ("tickers", "ArticleTicker"),
        "events": ("events", "Event"),
    },
    "Sentiment": {
        "score": ("score", None),
        "label": ("label", None),
        "confidence": ("confidence", None),
        "model": ("model", None),
        "scoredAt": ("scored_at", None),
    },
    "ArticleTicker": {
        "symbol": ("symbol", None),
        "name": ("name", None),
        "explicit": ("explicit", None),
        "relevance": ("relevance", None),
        "sentiment": ("sentiment", "TickerSentiment"),
        "highlights": ("highlights", "Highlight"),
        "ticker": ("ticker", "Ticker"),
    },
    # The reference ticker's own columns; its articles and sentiment series are left to strawberry.
    "Ticker": {
        "symbol": ("symbol", None),
        "name": ("name", None),
        "exchange": ("exchange", None),
        "sector": ("sector", None),
        "industry": ("industry", None),
        "aliases": ("aliases", None),
    },
    # Event.article is left to strawberry.
    "Event": {
        "id": ("id", None),
        "type": ("type", None),
        "symbol": ("symbol", None),
        "entity": ("entity", None),
        "attributes": ("attributes", None),
        "evidence": ("evidence", "Highlight"),
        "confidence": ("confidence", None),
        "model": ("model", None),
        "publishedAt": ("published_at", None),
    },
    "TickerSentiment": {
        "score": ("score", None),
        "label": ("label", None),
        "confidence": ("confidence", None),
        "model": ("model", None),
    },
    "Highlight": {
        "text": ("text", None),
        "section": ("section", None),
        "start": ("start", None),
        "end": ("end", None),
        "score": ("score", None),
    },
    "ArticleConnection": {"edges": ("edges", "ArticleEdge"), "pageInfo": ("page_info", "PageInfo")},
    "ArticleEdge": {"cursor": ("cursor", None), "node": ("node", "Article")},
    "PageInfo": {
        "hasNextPage": ("has_next_page", None),
        "hasPreviousPage": ("has_previous_page", None),
        "startCursor": ("start_cursor", None),
        "endCursor": ("end_cursor", None),
    },
}
# Query field -> the type its selection is walked as.
_ROOTS: Final[Mapping[str, str]] = {"article": "Article", "articles": "ArticleConnection"}
# Extensions whose hooks change nothing about a valid query's data: the cache ones and our error codes.
_INERT_EXTENSIONS: Final = (ParserCache, ValidationCache, ErrorCodes)
_NO_VARIABLES: Final = VariableValues(sources={}, coerced={})
_BOUND_PER_PLAN: Final = 32


class _NotCompiled(Exception):
    """The document selects something the compiler does not render."""


@dataclass(frozen=True, slots=True)
class _Root:
    key: str
    part: Part | None  # a constant (``__typename``)
    field: GraphQLField | None = None
    node: FieldNode | None = None
    arguments: Mapping[str, Any] | None = None  # python name -> the resolver's default
    fields: tuple[Part, ...] = ()
    definition: StrawberryField | None = None


@dataclass(slots=True)
class Plan:
    """A compiled operation: what to look up, and how to read its arguments from the variables."""

    operation: OperationDefinitionNode
    roots: tuple[_Root, ...]
    # Canonical variables JSON -> lookups (None: an argument is an error), least recently used first.
    bound: OrderedDict[bytes, tuple[Lookup, ...] | None] = field(default_factory=OrderedDict)


class CompiledQueries:
    """Compiled plans per (document, operationName), least recently used dropped past ``maxsize``."""

    def __init__(self, schema: strawberry.Schema, *, maxsize: int = 512) -> None:
        self.schema = schema
        self.graphql_schema: GraphQLSchema = schema._schema
        self.maxsize = maxsize
        self._plans: OrderedDict[tuple[str, str | None], Plan | None] = OrderedDict()
        self._checks = _pre_execution(schema)

    def plan(self, query: str, operation_name: str | None) -> Plan | None:
        key = (query, operation_name)
        plans = self._plans
        if key in plans:
            plans.move_to_end(key)
            return plans[key]
        plan = self._compile(query, operation_name)
        plans[key] = plan
        if len(plans) > self.maxsize:
            plans.popitem(last=False)
        return plan

    async def execute(
        self, deps: Deps, query: str, variables: Mapping[str, Any] | None, operation_name: str | None
    ) -> bytes | None:
        """The response body ``{"data": ...}``, or None when strawberry must answer this request."""
        plan = self.plan(query, operation_name)
        if plan is None:
            return None
        lookups = self.bind(plan, variables)
        if lookups is None:
            return None
        try:
            text = await service.get_data_json(deps, lookups=lookups)
        except TickertoneError:
            return None  # the slow path raises it again, where it becomes a coded GraphQL error
        except Exception:
            log.exception("compiled read failed; answering through strawberry")
            return None
        if text is None:
            return None
        return b'{"data":' + text.encode() + b"}"

    def bind(self, plan: Plan, variables: Mapping[str, Any] | None) -> tuple[Lookup, ...] | None:
        """The lookups of ``plan`` with these variables; None when an argument would be an error.

        A pure function of the plan and the variables' JSON, so recent answers are kept per plan:
        front-ends repeat the same few variable sets, and coercing them costs more than the rest.
        """
        try:
            key = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS) if variables else b""
        except TypeError:
            return self._bind_checked(plan, variables)
        bound = plan.bound
        if key in bound:
            bound.move_to_end(key)
            return bound[key]
        lookups = bound[key] = self._bind_checked(plan, variables)
        if len(bound) > _BOUND_PER_PLAN:
            bound.popitem(last=False)
        return lookups

    def _bind_checked(self, plan: Plan, variables: Mapping[str, Any] | None) -> tuple[Lookup, ...] | None:
        try:
            found = self._bind(plan, variables)
        except (GraphQLError, TickertoneError, ValueError, TypeError, KeyError):
            return None
        return None if found is None else tuple(found)

    def _bind(self, plan: Plan, variables: Mapping[str, Any] | None) -> list[Lookup] | None:
        values = _NO_VARIABLES
        if plan.operation.variable_definitions:
            coerced = get_variable_values(
                self.graphql_schema, plan.operation.variable_definitions, dict(variables or {})
            )
            if isinstance(coerced, list):
                return None
            values = coerced
        lookups: list[Lookup] = []
        converter = self.schema.schema_converter
        for root in plan.roots:
            if root.part is not None:
                lookups.append(root.part)
                continue
            assert root.field is not None and root.node is not None and root.definition is not None
            assert root.arguments is not None
            raw = get_argument_values(root.field, root.node, values)
            kwargs = dict(root.arguments)
            kwargs.update(
                convert_arguments(
                    raw,
                    root.definition.arguments,
                    scalar_registry=converter.scalar_registry,
                    config=self.schema.config,
                )
            )
            if root.node.name.value == "article":
                article_id = parse_id(kwargs["id"], field="id")
                lookups.append(ArticleLookup(key=root.key, fields=root.fields, article_id=article_id))
            else:
                lookups.append(
                    ArticlePageLookup(
                        key=root.key,
                        fields=root.fields,
                        filter=to_record_filter(kwargs["filter"]),
                        order=record_order(kwargs["order_by"]),
                        first=kwargs["first"],
                        after=kwargs["after"],
                    )
                )
        return lookups

    # ------------------------------------------------------------------------------------ compiling

    def _compile(self, query: str, operation_name: str | None) -> Plan | None:
        if self._checks is None or "@" in query:  # directives make the selection depend on variables
            return None
        rules, max_tokens = self._checks
        try:
            document = parse(query) if max_tokens is None else parse(query, max_tokens=max_tokens)
        except GraphQLError:
            return None
        if validate_document(self.graphql_schema, document, rules):
            return None
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if operation_name is None:
            operation = operations[0] if len(operations) == 1 else None
        else:
            operation = next(
                (o for o in operations if o.name is not None and o.name.value == operation_name), None
            )
        if operation is None or operation.operation is not OperationType.QUERY:
            return None
        fragments = {
            d.name.value: FragmentDetails(d)
            for d in document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        try:
            return Plan(operation=operation, roots=tuple(self._roots(operation, fragments)))
        except _NotCompiled:
            return None

    def _roots(
        self, operation: OperationDefinitionNode, fragments: dict[str, FragmentDetails]
    ) -> list[_Root]:
        query_type = self.graphql_schema.query_type
        assert query_type is not None
        collected = collect_fields(self.graphql_schema, fragments, _NO_VARIABLES, query_type, operation)
        if collected.new_defer_usages:
            raise _NotCompiled
        roots: list[_Root] = []
        for key, details in collected.grouped_field_set.items():
            name = details[0].node.name.value
            if name == "__typename":
                roots.append(_Root(key=key, part=Part(key=key, name=CONSTANT, value=query_type.name)))
                continue
            type_name = _ROOTS.get(name)
            field = query_type.fields.get(name)
            if type_name is None or field is None or get_named_type(field.type).name != type_name:
                raise _NotCompiled
            definition = field.extensions.get("strawberry-definition")
            if not isinstance(definition, StrawberryField):
                raise _NotCompiled
            object_type = self._object_type(type_name)
            fields = self._parts(object_type, details, fragments, operation)
            defaults = {
                a.python_name: a.default
                for a in definition.arguments
                if a.default is not strawberry.UNSET and a.python_name is not None
            }
            roots.append(
                _Root(
                    key=key,
                    part=None,
                    field=field,
                    node=details[0].node,
                    arguments=defaults,
                    fields=fields,
                    definition=definition,
                )
            )
        return roots

    def _object_type(self, name: str) -> GraphQLObjectType:
        found = self.graphql_schema.type_map.get(name)
        if not isinstance(found, GraphQLObjectType):
            raise _NotCompiled
        return found

    def _parts(
        self,
        parent: GraphQLObjectType,
        details: list[FieldDetails],
        fragments: dict[str, FragmentDetails],
        operation: OperationDefinitionNode,
    ) -> tuple[Part, ...]:
        collected = collect_subfields(
            self.graphql_schema, fragments, _NO_VARIABLES, operation, parent, details
        )
        if collected.new_defer_usages:
            raise _NotCompiled
        known = _PARTS.get(parent.name, {})
        parts: list[Part] = []
        for key, sub in collected.grouped_field_set.items():
            name = sub[0].node.name.value
            if name == "__typename":
                parts.append(Part(key=key, name=CONSTANT, value=parent.name))
                continue
            entry = known.get(name)
            field = parent.fields.get(name)
            # No rendered field takes arguments; one that someday does is not rendered with them.
            if entry is None or field is None or any(d.node.arguments for d in sub):
                raise _NotCompiled
            part_name, child = entry
            named = get_named_type(field.type)
            if child is None:
                if not is_leaf_type(named):
                    raise _NotCompiled
                labels = _labels(named) if is_enum_type(named) else ()
                parts.append(Part(key=key, name=part_name, labels=labels))
            else:
                if named.name != child:
                    raise _NotCompiled
                child_fields = self._parts(self._object_type(child), sub, fragments, operation)
                parts.append(Part(key=key, name=part_name, fields=child_fields))
        return tuple(parts)


def _labels(enum_type: Any) -> tuple[tuple[str, str], ...]:
    """Stored value -> the name the enum type serializes it to, through the type's own ``serialize``."""
    labels = []
    for value in enum_type.values.values():
        raw = value.value
        stored = raw.value if isinstance(raw, Enum) else raw
        labels.append((str(stored), str(enum_type.serialize(raw))))
    return tuple(labels)


def _pre_execution(
    schema: strawberry.Schema,
) -> tuple[tuple[type[ASTValidationRule], ...], int | None] | None:
    """The validation rules and token limit the schema's extensions put in place, as strawberry's
    execution gathers them; None when an extension might do more than that (compile nothing then)."""
    rules: tuple[type[ASTValidationRule], ...] = tuple(specified_rules)
    max_tokens: int | None = None
    for extension in schema.get_extensions():
        if isinstance(extension, AddValidationRules):  # DisableIntrospection is one too
            rules += tuple(extension.validation_rules)
        elif isinstance(extension, MaxTokensLimiter):
            max_tokens = extension.max_token_count
        elif not isinstance(extension, _INERT_EXTENSIONS):
            return None
    return rules, max_tokens


__all__ = ["CompiledQueries", "Plan"]
