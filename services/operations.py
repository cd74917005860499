"""Trusted persisted GraphQL operations: registered by an operator, kept in Postgres, served from memory
and Redis. Automatic (APQ) registrations by clients stay in Redis only, for a day."""

from __future__ import annotations

from collections.abc import Sequence

from graphql import GraphQLError, parse

from core.errors import InvalidInput
from db import operations as db_operations
from db.operations import PersistedOperation
from services.deps import Deps
from services.reads_cache import RegistryUnavailable, document_hash, reads_cache

__all__ = ["PersistedOperation", "find_operation", "list_trusted", "register_trusted"]

MAX_DOCUMENT = 100_000


async def register_trusted(
    deps: Deps, *, documents: Sequence[tuple[str, str | None]]
) -> list[PersistedOperation]:
    """Register (document, name) pairs as trusted; every document must parse, or nothing is stored."""
    rows: list[tuple[str, str, str | None]] = []
    for i, (document, name) in enumerate(documents):
        if not document.strip() or len(document) > MAX_DOCUMENT:
            raise InvalidInput(f"document {i + 1}: 1 to {MAX_DOCUMENT} characters", field="document")
        try:
            parse(document)
        except GraphQLError as exc:
            raise InvalidInput(
                f"document {i + 1} is not valid GraphQL: {exc.message}", field="document"
            ) from exc
        rows.append((document_hash(document), document, name))
    # One statement: all of them or none.
    async with deps.connection() as conn:
        stored = await db_operations.upsert_operations(conn, operations=rows)
    for _, document, _ in rows:
        await _share(deps, document)
    return stored


async def _share(deps: Deps, document: str) -> None:
    """Put a trusted document in Redis for every process; this one remembers it either way (Postgres
    has it, and Redis is refilled on the next lookup that misses)."""
    cache = reads_cache(deps)
    try:
        await cache.register_operation(document, trusted=True)
    except RegistryUnavailable:
        cache.remember_operation(document, trusted=True)


async def list_trusted(deps: Deps) -> list[PersistedOperation]:
    async with deps.connection() as conn:
        return await db_operations.list_operations(conn)


async def find_operation(deps: Deps, *, sha256: str, trusted_only: bool) -> str | None:
    """The document a hash names: memory and Redis first, then Postgres for trusted documents.

    ``RegistryUnavailable`` only when the answer could be an automatic registration Redis cannot be
    asked about; a trusted document is found as long as Postgres answers.
    """
    cache = reads_cache(deps)
    unavailable = False
    try:
        found = await cache.get_operation(sha256, trusted_only=trusted_only)
        if found is not None:
            return found
    except RegistryUnavailable:
        unavailable = True
    async with deps.connection() as conn:
        document = await db_operations.get_operation(conn, sha256=sha256)
    if document is not None and document_hash(document) == sha256:
        if unavailable:
            cache.remember_operation(document, trusted=True)
        else:
            await _share(deps, document)  # Redis lost it (a restart or a flush): put it back
        return document
    if unavailable and not trusted_only:
        raise RegistryUnavailable("Redis is unavailable and the hash is not a trusted document")
    return None
