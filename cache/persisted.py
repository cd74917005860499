"""The persisted-operation registry: sha256 of a GraphQL document -> the document, kept in Redis.

Registered documents never expire in Redis and are remembered in-process after their first use, so a
hot persisted operation costs no Redis call at all and keeps working while Redis is unreachable.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict

from cache import keys
from cache.breaker import FAILURES, BreakerOpen
from cache.store import Cache

log = logging.getLogger(__name__)


class RegistryUnavailable(Exception):
    """Redis could not be asked; the hash may or may not be registered."""


def document_hash(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


class OperationRegistry:
    def __init__(self, cache: Cache, *, memory_size: int = 2048) -> None:
        self.cache = cache
        self._memory: OrderedDict[str, str] = OrderedDict()
        self._memory_size = memory_size

    def _remember(self, sha: str, document: str) -> None:
        self._memory[sha] = document
        self._memory.move_to_end(sha)
        if len(self._memory) > self._memory_size:
            self._memory.popitem(last=False)

    async def get(self, sha: str) -> str | None:
        """The registered document, ``None`` if unknown; ``RegistryUnavailable`` if Redis is out."""
        found = self._memory.get(sha)
        if found is not None:
            return found
        try:
            raw = await self.cache.breaker.call(lambda: self.cache.redis.get(keys.persisted_operation(sha)))
        except (BreakerOpen, *FAILURES) as exc:
            raise RegistryUnavailable(type(exc).__name__) from exc
        if raw is None:
            return None
        document = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        # Redis is trusted storage, but a hash is only honoured for the document it names.
        if document_hash(document) != sha:
            log.error("persisted operation %s does not match its document; ignored", sha)
            return None
        self._remember(sha, document)
        return document

    async def register(self, document: str) -> str:
        """Store ``document`` under its sha256 (idempotent) and return the hash."""
        sha = document_hash(document)
        try:
            await self.cache.breaker.call(
                lambda: self.cache.redis.set(keys.persisted_operation(sha), document.encode("utf-8"))
            )
        except (BreakerOpen, *FAILURES) as exc:
            raise RegistryUnavailable(type(exc).__name__) from exc
        self._remember(sha, document)
        return sha
