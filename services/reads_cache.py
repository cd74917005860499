"""The read-through response cache and persisted-operation registry as transports reach them.

``api/`` and ``schema/`` may not import ``cache/``; they get this object from ``reads_cache(deps)``,
built once per process and kept on ``Deps``. Everything here degrades to "miss" when Redis is missing,
refusing, slow or behind an open circuit: callers then build the response from Postgres.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cache import keys
from cache.breaker import FAILURES
from cache.persisted import OperationRegistry, RegistryUnavailable, document_hash
from cache.responses import Entry, Miss, ResponseCache, request_digest
from core.errors import Unavailable
from services.deps import Deps

__all__ = [
    "LIST_DEPENDENCIES",
    "Entry",
    "Miss",
    "ReadsCache",
    "RegistryUnavailable",
    "article_dependencies",
    "document_hash",
    "invalidate_all",
    "reads_cache",
    "request_digest",
]

# Anything that lists articles (or events, tickers with articles) can change with any write.
LIST_DEPENDENCIES: tuple[str, ...] = (keys.GLOBAL_GENERATION,)
_EXTRAS_KEY = "reads_cache"


def article_dependencies(article_ids: Iterable[int]) -> tuple[str, ...]:
    """A response built only from these articles (with their tickers, events and scores)."""
    return (keys.EPOCH_GENERATION, *(keys.article_generation(i) for i in sorted(set(article_ids))))


@dataclass(slots=True)
class ReadsCache:
    responses: ResponseCache | None
    operations: OperationRegistry | None

    @property
    def enabled(self) -> bool:
        return self.responses is not None

    async def get(self, digest: str, *, depends_on: Sequence[str]) -> Entry | Miss:
        if self.responses is None:
            return Miss(key=None)
        return await self.responses.get(digest, depends_on=depends_on)

    async def put(self, miss: Miss, body: bytes, headers: tuple[tuple[str, str], ...] = ()) -> Entry:
        """Store the response where the miss said (if anywhere) and return it with its ETag."""
        entry = Entry.of(body, headers)
        if self.responses is not None:
            await self.responses.put(miss, entry)
        return entry

    async def get_operation(self, sha256: str, *, trusted_only: bool) -> str | None:
        """A registered document; ``RegistryUnavailable`` when the registry cannot be asked.

        ``trusted_only`` skips documents clients registered themselves (automatic persisted queries).
        """
        if self.operations is None:
            raise RegistryUnavailable("no Redis configured")
        return await self.operations.get(sha256, trusted_only=trusted_only)

    def remember_operation(self, document: str, *, trusted: bool) -> None:
        if self.operations is not None:
            self.operations.remember(document, trusted=trusted)

    async def register_operation(self, document: str, *, trusted: bool) -> str:
        """Register a document; ``trusted`` ones (deploy-time allow-list) serve registered-only keys."""
        if self.operations is None:
            raise RegistryUnavailable("no Redis configured")
        return await self.operations.register(document, trusted=trusted)


def reads_cache(deps: Deps) -> ReadsCache:
    """The process's ``ReadsCache``, created on first use and kept in ``deps.extras``."""
    found = deps.extras.get(_EXTRAS_KEY)
    if isinstance(found, ReadsCache):
        return found
    if deps.cache is None:
        made = ReadsCache(responses=None, operations=None)
    else:
        responses = (
            ResponseCache(
                deps.cache,
                ttl_s=deps.settings.cache_ttl_s,
                local_bytes=deps.settings.response_cache_local_mb << 20,
                local_hits=deps.settings.local_hits,
            )
            if deps.settings.response_cache
            else None
        )
        made = ReadsCache(responses=responses, operations=OperationRegistry(deps.cache))
    deps.extras[_EXTRAS_KEY] = made
    return made


async def invalidate_all(deps: Deps) -> None:
    """Make every cached response unreachable now: for writes that do not go through the services
    (``python -m seeds load``, SQL by hand), which bump nothing themselves. ``Unavailable`` when Redis
    cannot be told; with no Redis configured nothing is cached and there is nothing to do."""
    if deps.cache is None:
        return
    try:
        await deps.cache.invalidate_all()
    except FAILURES as exc:
        raise Unavailable(f"Redis did not take the invalidation: {type(exc).__name__}") from exc
