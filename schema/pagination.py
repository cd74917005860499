"""Relay-style connections over our keyset pages: opaque cursors from services, no offset slicing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import strawberry

from core.errors import InvalidInput
from services.articles import MAX_PAGE

NodeType = TypeVar("NodeType")
Item = TypeVar("Item")

FIRST_DESCRIPTION = (
    f"Page size, 1..{MAX_PAGE}; outside that range the error has extensions.code 'out_of_range'."
)
AFTER_DESCRIPTION = (
    "The endCursor (or an edge cursor) of the previous page; a cursor this API did not issue "
    "fails with extensions.code 'invalid_cursor'."
)


@strawberry.type(description="Where a page sits in its list; cursors are opaque keyset positions.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool = strawberry.field(
        description="True when the page was requested with `after` (forward pagination only)."
    )
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeType]):
    cursor: str
    node: NodeType


@strawberry.type
class Connection(Generic[NodeType]):
    edges: list[Edge[NodeType]]
    page_info: PageInfo


def connection(
    items: Sequence[Item],
    *,
    next_cursor: str | None,
    after: str | None,
    cursor_of: Callable[[Item], str],
    node_of: Callable[[Item], NodeType],
) -> Connection[NodeType]:
    edges = [Edge(cursor=cursor_of(item), node=node_of(item)) for item in items]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=next_cursor is not None,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


def parse_id(value: strawberry.ID | str, *, field: str) -> int:
    """Our IDs are Postgres bigints rendered as decimal strings; anything else is the client's mistake."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**63:
        raise InvalidInput(f"{field} must be a positive integer ID, got {str(value)[:40]!r}", field=field)
    return int(text)
