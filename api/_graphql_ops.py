"""What a GraphQL HTTP request asks for, read before execution: the scopes it needs and its cost.

Rate limits count GraphQL by cost, not by HTTP request, so aliases (``a1: article(id: 1) a2: ...``)
and JSON-array batches pay for every root field they resolve. Documents that do not parse are
charged one unit and left for the GraphQL layer to reject with its own error.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
)

# Mutations name their scope; an unknown mutation needs ``admin`` so a new one is closed by default.
MUTATION_SCOPES: Mapping[str, str] = {
    "ingestArticle": "ingest",
    "ingestArticles": "ingest",
    "scoreText": "score",
}
# Issue 5: the GraphQL front refuses documents over schema.limits' 2,000 tokens before execution, so
# parsing further here would only let a hostile document cost more.
_MAX_TOKENS = 2_000


@dataclass(frozen=True, slots=True)
class GraphQLCall:
    scopes: frozenset[str]
    cost: int
    operations: int


def _root_fields(
    selection_set: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode], seen: set[str]
) -> Iterable[FieldNode]:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _root_fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            # A fragment counts once per spread; cycles are a validation error, so stop on a repeat.
            if name in fragments and name not in seen:
                yield from _root_fields(fragments[name].selection_set, fragments, seen | {name})


def _inspect_one(op: object) -> tuple[set[str], int]:
    if not isinstance(op, dict):
        return {"read"}, 1
    query = op.get("query")
    if not isinstance(query, str):
        # Persisted-document requests carry no text here; issue 5's allow-list resolves them.
        return {"read"}, 1
    name = op.get("operationName")
    scopes, cost = _inspect_text(query, name if isinstance(name, str) else None)
    return set(scopes), cost


# Issue 5: front-ends repeat the same few documents; parse each once, not on every request.
@functools.lru_cache(maxsize=1024)
def _inspect_text(query: str, name: str | None) -> tuple[frozenset[str], int]:
    try:
        document: DocumentNode = parse(query, max_tokens=_MAX_TOKENS, no_location=True)
    except GraphQLError:
        return frozenset({"read"}), 1
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if name and o.name is not None and o.name.value == name] or operations
    scopes: set[str] = set()
    cost = 0
    for operation in chosen:
        fields = list(_root_fields(operation.selection_set, fragments, set()))
        cost += len(fields)
        if operation.operation is OperationType.MUTATION:
            scopes.update(
                MUTATION_SCOPES.get(f.name.value, "admin") for f in fields if f.name.value != "__typename"
            )
        else:
            scopes.add("read")
    return frozenset(scopes or {"read"}), max(1, cost)


def inspect_graphql(*, method: str, query_string: bytes, body: bytes) -> GraphQLCall:
    payload: Any
    if method == "GET":
        params = parse_qs(query_string.decode("latin-1"))
        payload = {name: values[0] for name, values in params.items() if name in ("query", "operationName")}
    else:
        try:
            payload = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            payload = None
    ops = payload if isinstance(payload, list) else [payload]
    scopes: set[str] = set()
    cost = 0
    for op in ops:
        op_scopes, op_cost = _inspect_one(op)
        scopes |= op_scopes
        cost += op_cost
    return GraphQLCall(scopes=frozenset(scopes), cost=max(1, cost), operations=max(1, len(ops)))
