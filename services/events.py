"""Event reads: keyset pages of typed market events across articles."""

from __future__ import annotations

from core.errors import InvalidInput
from core.records import EVENT_TYPES, Event, EventFilter, Page
from db import events as db_events
from services.articles import check_page_size
from services.cursors import decode_cursor, encode_cursor
from services.deps import Deps


def check_event_types(types: tuple[str, ...]) -> None:
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise InvalidInput(
            f"unknown event type(s): {', '.join(unknown)}; known: {', '.join(EVENT_TYPES)}", field="type"
        )


async def list_events(
    deps: Deps, *, filter: EventFilter, first: int = 20, after: str | None = None
) -> Page[Event]:
    check_page_size(first)
    check_event_types(filter.types)
    key = decode_cursor(after) if after else None
    async with deps.connection() as conn:
        rows = await db_events.list_events(conn, filter=filter, limit=first + 1, after=key)
    items = rows[:first]
    next_cursor = encode_cursor(items[-1].published_at, items[-1].id) if len(rows) > first else None
    return Page(items=items, next_cursor=next_cursor)
