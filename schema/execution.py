"""Execution plumbing: fields that are plain attributes skip graphql-core's per-field machinery.

graphql-core resolves every field the same way: a ``Path``, a resolve-info object, argument
coercion, the resolver call, then ``complete_value`` dispatching on the type (~20 us a field). For a
field that strawberry resolves as a plain attribute (no resolver, no arguments, no field extensions)
all of that amounts to ``serialize(getattr(source, name))`` for a scalar or enum, and to executing
the sub-selection on ``getattr(source, name)`` for a single object (e.g. ``sentiment``); such fields
are most of what a page of articles returns. ``FastExecutionContext.execute_fields`` does exactly
that and hands everything else (lists, resolvers, abstract types, nulls in non-null fields, values
that do not serialize) to graphql-core unchanged, handling errors as ``execute_field`` does, so
results and errors are the same. It stands aside entirely when resolver middleware (a schema
extension's ``resolve`` hook) is installed. ``tests/schema/test_execution.py`` compares both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from graphql import GraphQLField, GraphQLNonNull, GraphQLObjectType, Undefined, is_leaf_type
from graphql.execution.collect_fields import GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


@dataclass(frozen=True, slots=True)
class _Plan:
    """How to complete a plain-attribute field: ``leaf`` (serialize) or ``object_type`` (sub-selection)."""

    name: str  # the Python attribute
    non_null: bool
    serialize: Callable[[Any], Any] | None = None
    object_type: GraphQLObjectType | None = None


def _plan(field: GraphQLField) -> _Plan | None:
    resolve = field.resolve
    definition = field.extensions.get("strawberry-definition")
    # Strawberry's resolver for a field without resolver, permissions or extensions: an attribute read.
    if (
        resolve is None
        or field.args
        or getattr(resolve, "__name__", "") != "_get_basic_result"
        or definition is None
        or definition.default_resolver is not getattr
    ):
        return None
    type_ = field.type
    non_null = isinstance(type_, GraphQLNonNull)
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if is_leaf_type(inner):
        return _Plan(name=definition.python_name, non_null=non_null, serialize=inner.serialize)
    if isinstance(inner, GraphQLObjectType) and inner.is_type_of is None:
        return _Plan(name=definition.python_name, non_null=non_null, object_type=inner)
    return None  # lists and abstract types: graphql-core


_FALLBACK: Any = object()


class FastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    # id(field) -> (field, plan); the field is kept alive so its id is never reused for another.
    _plans: ClassVar[dict[int, tuple[GraphQLField, _Plan | None]]] = {}

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        manager = self.middleware_manager
        if manager is not None and manager.middlewares:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        plans = self._plans
        fields = parent_type.fields
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list in grouped_field_set.items():
                field = fields.get(field_details_list[0].node.name.value)
                plan = None
                if field is not None:
                    known = plans.get(id(field))
                    if known is None:
                        known = plans[id(field)] = (field, _plan(field))
                    plan = known[1]
                if plan is not None:
                    value = getattr(source_value, plan.name)
                    if value is None:
                        if not plan.non_null:
                            results[response_name] = None
                            continue
                    elif plan.serialize is not None:
                        try:
                            serialized = plan.serialize(value)
                        except Exception:  # graphql-core below reports it properly
                            serialized = None
                        if serialized is not None and serialized is not Undefined:
                            results[response_name] = serialized
                            continue
                    elif plan.object_type is not None:
                        assert field is not None
                        field_path = Path(path, response_name, parent_type.name)
                        result = self._object(field, plan.object_type, value, field_details_list, field_path)
                        if result is not _FALLBACK:
                            results[response_name] = result
                            if is_awaitable(result):
                                awaitable_fields.append(response_name)
                            continue
                # Everything else, and the error cases above, the way graphql-core does it.
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[name] for name in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return self._gather(results, awaitable_fields)

    def _object(
        self,
        field: GraphQLField,
        object_type: GraphQLObjectType,
        value: Any,
        field_details_list: Any,
        field_path: Path,
    ) -> Any:
        """``execute_field`` + ``complete_object_value`` for an attribute holding one object."""
        grouped, defer_usages, _forbidden = self.collect_subfields(object_type, field_details_list)
        if defer_usages:
            return _FALLBACK
        try:
            completed = self.execute_fields(object_type, value, field_path, grouped, None)
        except Exception as raw_error:
            # What execute_field does with an error completing the value: null it, or propagate
            # it when the field is non-null.
            self.handle_field_error(raw_error, field.type, field_details_list, field_path)
            return None
        if self.is_awaitable(completed):
            return self._await_object(completed, field, field_details_list, field_path)
        return completed

    async def _await_object(
        self, completed: Awaitable[Any], field: GraphQLField, field_details_list: Any, path: Path
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, field.type, field_details_list, path)
            return None

    async def _gather(self, results: dict[str, Any], awaitable_fields: list[str]) -> dict[str, Any]:
        # As graphql-core's execute_fields: await the pending fields in parallel, in place.
        if len(awaitable_fields) == 1:
            name = awaitable_fields[0]
            results[name] = await results[name]
            return results
        awaited = await gather_with_cancel(*(results[name] for name in awaitable_fields))
        results.update(zip(awaitable_fields, awaited, strict=True))
        return results
