"""GraphQL limits decided before any resolver runs: depth, aliases, directives, root fields, page size,
cost, tokens and introspection, each rejection an error with a stable ``extensions.code``.

One walk over the operation (fragments expanded, each fragment computed once per context, cycles cut)
yields every figure. The same check runs twice: as a validation rule inside the schema (variables
unknown, so a ``first: $n`` without a default counts as ``max_first``), and from the HTTP front with
the request's variables (``check_request``), where ``first: $n`` with ``n > 100`` is also caught.

Cost counts the objects a response can hold, the work that grows with data (rows loaded, objects
built); scalar and enum fields are attributes of an object already paid for and cost nothing. Every
object-typed field costs 1 per object. A field taking ``first`` (a connection) multiplies the list
fields directly under it (``edges``, ``nodes``) by that page size, while its ``pageInfo`` counts once;
any other list of objects counts ``assumed_list_size`` (10) elements. So ``articles(first: 20) { edges {
node { id tickers { symbol } } } pageInfo { hasNextPage } }`` costs 1 + 20 * (1 + 1 + 10 * 1) + 1 = 242,
a page of 50 articles with tickers (their sentiment, highlights and ticker) and events (with their
article) about 7,650, the same page of 100 about 15,300; the limit is 20,000.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from graphql import (
    ASTValidationRule,
    DocumentNode,
    EnumValueNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    ValidationContext,
    VariableNode,
    get_named_type,
)
from graphql.language import VisitorAction
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, SchemaExtension

from core.errors import InvalidInput
from core.settings import Settings
from services.series import MAX_POINTS, series_window

ExtensionFactory = type[SchemaExtension] | Callable[[], SchemaExtension]

MAX_DEPTH_EXCEEDED: Final = "max_depth_exceeded"
MAX_ALIASES_EXCEEDED: Final = "max_aliases_exceeded"
MAX_DIRECTIVES_EXCEEDED: Final = "max_directives_exceeded"
MAX_ROOT_FIELDS_EXCEEDED: Final = "max_root_fields_exceeded"
COST_LIMIT_EXCEEDED: Final = "cost_limit_exceeded"
OUT_OF_RANGE: Final = "out_of_range"  # the word services use for a bad `first`
TOO_MANY_TOKENS: Final = "too_many_tokens"
INTROSPECTION_DISABLED: Final = "introspection_disabled"
_INTROSPECTION_ROOTS: Final = frozenset({"__schema", "__type"})
_SERIES_FIELDS: Final = frozenset({"sentimentSeries"})
_UNKNOWN: Final = object()


@dataclass(frozen=True, slots=True)
class Limits:
    max_depth: int = 10
    max_aliases: int = 15
    max_directives: int = 20
    max_root_fields: int = 10
    max_tokens: int = 2000
    max_first: int = 100
    default_first: int = 20
    assumed_list_size: int = 10
    max_cost: int = 20_000
    introspection: bool = False


def limits_for(settings: Settings) -> Limits:
    # Development keeps introspection for GraphiQL; everything else is the same everywhere.
    return Limits(introspection=settings.development)


@dataclass(slots=True)
class _Stats:
    cost: int = 0
    depth: int = 0
    aliases: int = 0
    directives: int = 0


def _is_list(type_: Any) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


class _Walk:
    """Computes figures for one operation; collects page-size errors on the way."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any] | None,
        defaults: Mapping[str, Any],
        limits: Limits,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.defaults = defaults
        self.limits = limits
        self.errors: list[GraphQLError] = []
        self._memo: dict[tuple[str, str, int | None], _Stats] = {}
        self._stack: set[str] = set()

    def page_size(self, field: FieldNode, default: Any) -> int:
        for arg in field.arguments or ():
            if arg.name.value != "first":
                continue
            value = arg.value
            if isinstance(value, IntValueNode):
                size = int(value.value)
            elif isinstance(value, VariableNode):
                name = value.name.value
                if self.variables is not None and isinstance(self.variables.get(name), int):
                    size = self.variables[name]
                elif isinstance(self.defaults.get(name), int):
                    size = self.defaults[name]
                else:
                    # Unknown here (validation runs without variables): assume the worst allowed.
                    return self.limits.max_first
            else:
                return self.limits.max_first
            if not 1 <= size <= self.limits.max_first:
                self.errors.append(
                    GraphQLError(
                        f"first must be between 1 and {self.limits.max_first}, got {size}",
                        field,
                        extensions={"code": OUT_OF_RANGE, "field": "first"},
                    )
                )
                return self.limits.max_first
            return size
        return default if isinstance(default, int) and default > 0 else self.limits.default_first

    def _argument(self, value: Any) -> Any:
        if isinstance(value, VariableNode):
            name = value.name.value
            if self.variables is None or name not in self.variables:
                return _UNKNOWN
            return self.variables[name]
        if isinstance(value, EnumValueNode | StringValueNode):
            return value.value
        if isinstance(value, NullValueNode):
            return None
        return _UNKNOWN

    def series_points(self, field: FieldNode) -> int:
        """How many points a series field asks for (the largest window when that cannot be known)."""
        args = {a.name.value: self._argument(a.value) for a in field.arguments or ()}
        if any(v is _UNKNOWN for v in args.values()):
            return MAX_POINTS
        try:
            window = series_window(
                str(args.get("interval") or "day").lower(),
                start=_instant(args.get("from")),
                end=_instant(args.get("to")),
            )
        except (InvalidInput, ValueError, TypeError):
            return 1  # the resolver refuses the window with a clear error; nothing to price
        return window.points

    def selection_set(self, node: SelectionSetNode, parent: Any, *, page: int | None) -> _Stats:
        total = _Stats()
        for selection in node.selections:
            total.directives += len(selection.directives or ())
            if isinstance(selection, FieldNode):
                part = self.field(selection, parent, page=page)
            elif isinstance(selection, InlineFragmentNode):
                cond = selection.type_condition
                target = self.schema.get_type(cond.name.value) if cond is not None else parent
                part = self.selection_set(selection.selection_set, target, page=page)
            elif isinstance(selection, FragmentSpreadNode):
                part = self.spread(selection.name.value, page=page)
            else:  # pragma: no cover - the three kinds above are all GraphQL has
                continue
            total.cost += part.cost
            total.depth = max(total.depth, part.depth)
            total.aliases += part.aliases
            total.directives += part.directives
        return total

    def spread(self, name: str, *, page: int | None) -> _Stats:
        fragment = self.fragments.get(name)
        if fragment is None or name in self._stack:
            return _Stats()  # unknown fragments and cycles are the spec rules' to report
        key = (name, fragment.type_condition.name.value, page)
        found = self._memo.get(key)
        if found is not None:
            return found
        self._stack.add(name)
        try:
            target = self.schema.get_type(fragment.type_condition.name.value)
            stats = self.selection_set(fragment.selection_set, target, page=page)
            stats.directives += len(fragment.directives or ())
        finally:
            self._stack.discard(name)
        self._memo[key] = stats
        return stats

    def field(self, node: FieldNode, parent: Any, *, page: int | None) -> _Stats:
        """``page`` is the page size when ``node`` sits directly under a connection field."""
        definition = None
        if isinstance(parent, GraphQLObjectType) or hasattr(parent, "fields"):
            definition = parent.fields.get(node.name.value)
        multiplier = 1
        child_page: int | None = None
        child_type: Any = None
        if definition is not None:
            child_type = get_named_type(definition.type)
            first = definition.args.get("first")
            if node.name.value in _SERIES_FIELDS:
                multiplier = self.series_points(node)
            elif first is not None:
                child_page = self.page_size(node, first.default_value)
            elif _is_list(definition.type):
                multiplier = page if page is not None else self.limits.assumed_list_size
        stats = _Stats(aliases=1 if node.alias is not None else 0)
        if node.selection_set is not None:
            inner = self.selection_set(node.selection_set, child_type, page=child_page)
            stats.cost = multiplier * (1 + inner.cost)
            stats.depth = 1 + inner.depth
            stats.aliases += inner.aliases
            stats.directives += inner.directives
        else:
            stats.depth = 1  # a scalar or enum: part of its object, which is already counted
        return stats


def _instant(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError("a date-time is a string")
    return datetime.fromisoformat(value)


def _root_field_count(walk: _Walk, node: SelectionSetNode, seen: frozenset[str] = frozenset()) -> int:
    count = 0
    for selection in node.selections:
        if isinstance(selection, FieldNode):
            count += selection.name.value != "__typename"
        elif isinstance(selection, InlineFragmentNode):
            count += _root_field_count(walk, selection.selection_set, seen)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = walk.fragments.get(selection.name.value)
            if fragment is not None and selection.name.value not in seen:
                count += _root_field_count(walk, fragment.selection_set, seen | {selection.name.value})
    return count


def check_operation(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    *,
    limits: Limits,
    variables: Mapping[str, Any] | None = None,
) -> list[GraphQLError]:
    """Every limit ``operation`` breaks, as coded errors; empty when it may run."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    defaults: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        if isinstance(definition.default_value, IntValueNode):
            defaults[definition.variable.name.value] = int(definition.default_value.value)
    root = {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[operation.operation]
    walk = _Walk(schema, fragments, variables, defaults, limits)
    stats = walk.selection_set(operation.selection_set, root, page=None)
    stats.directives += len(operation.directives or ())
    name = operation.name.value if operation.name else "anonymous"
    errors = list(walk.errors)
    checks = (
        (stats.depth, limits.max_depth, MAX_DEPTH_EXCEEDED, "depth"),
        (stats.aliases, limits.max_aliases, MAX_ALIASES_EXCEEDED, "aliases"),
        (stats.directives, limits.max_directives, MAX_DIRECTIVES_EXCEEDED, "directives"),
        (
            _root_field_count(walk, operation.selection_set),
            limits.max_root_fields,
            MAX_ROOT_FIELDS_EXCEEDED,
            "root fields",
        ),
        (stats.cost, limits.max_cost, COST_LIMIT_EXCEEDED, "cost"),
    )
    for value, limit, code, what in checks:
        if value > limit:
            errors.append(
                GraphQLError(
                    f"operation '{name}' has {what} {value}; the limit is {limit}",
                    operation,
                    extensions={"code": code, "limit": limit, "value": value},
                )
            )
    return errors


def check_document(
    schema: GraphQLSchema,
    document: DocumentNode,
    *,
    limits: Limits,
    variables: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
) -> list[GraphQLError]:
    """``check_operation`` for the operation a request selects (all of them if it names none)."""
    errors: list[GraphQLError] = []
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if operation_name and (definition.name is None or definition.name.value != operation_name):
            continue
        errors.extend(check_operation(schema, document, definition, limits=limits, variables=variables))
        if not limits.introspection:
            errors.extend(_introspection_errors(definition))
    return errors


def _introspection_errors(operation: OperationDefinitionNode) -> list[GraphQLError]:
    found = [
        s
        for s in operation.selection_set.selections
        if isinstance(s, FieldNode) and s.name.value in _INTROSPECTION_ROOTS
    ]
    return [
        GraphQLError("introspection is disabled", node, extensions={"code": INTROSPECTION_DISABLED})
        for node in found[:1]
    ]


def limits_rule(limits: Limits) -> type[ASTValidationRule]:
    """A validation rule (for ``AddValidationRules``) enforcing ``limits`` without variables."""

    class OperationLimitsRule(ASTValidationRule):
        context: ValidationContext

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: object) -> VisitorAction:
            document = self.context.document
            for error in check_operation(self.context.schema, document, node, limits=limits):
                self.report_error(error)
            if not limits.introspection:
                for error in _introspection_errors(node):
                    self.report_error(error)
            return None

    return OperationLimitsRule


def limit_extensions(settings: Settings) -> list[ExtensionFactory]:
    """Schema extensions that enforce the limits; they go before ``ErrorCodes`` in the chain."""
    limits = limits_for(settings)
    rule = limits_rule(limits)
    return [
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: AddValidationRules([rule]),
    ]
