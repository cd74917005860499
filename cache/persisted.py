"""The persisted-operation registry: sha256 of a GraphQL document -> the document, kept in Redis.

Two kinds: *trusted* documents, registered at deploy time by an operator and kept without expiry (the
allow-list for keys restricted to registered documents), and *automatic* ones that any client may
register APQ-style by sending hash and text once, kept for a day. Lookups are remembered in-process,
so a hot persisted operation costs no Redis call and keeps working while Redis is unreachable.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict

from cache import keys
from cache.breaker import UNAVAILABLE
from cache.store import Cache

log = logging.getLogger(__name__)

AUTOMATIC_TTL_S = 86_400


class RegistryUnavailable(Exception):
    """Redis could not be asked; the hash may or may not be registered."""


def document_hash(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


class OperationRegistry:
    def __init__(self, cache: Cache, *, memory_size: int = 2048) -> None:
        self.cache = cache
        # sha -> (document, trusted)
        self._memory: OrderedDict[str, tuple[str, bool]] = OrderedDict()
        self._memory_size = memory_size

    def remember(self, document: str, *, trusted: bool) -> None:
        """Keep a document found elsewhere (Postgres) in this process's memory."""
        self._remember(document_hash(document), document, trusted=trusted)

    def _remember(self, sha: str, document: str, *, trusted: bool) -> None:
        self._memory[sha] = (document, trusted)
        self._memory.move_to_end(sha)
        if len(self._memory) > self._memory_size:
            self._memory.popitem(last=False)

    async def get(self, sha: str, *, trusted_only: bool) -> str | None:
        """The registered document, ``None`` if unknown; ``RegistryUnavailable`` if Redis is out."""
        found = self._memory.get(sha)
        if found is not None and (found[1] or not trusted_only):
            return found[0]
        names = [keys.persisted_operation(sha)] + ([] if trusted_only else [keys.automatic_operation(sha)])
        try:
            raw = await self.cache.breaker.call(lambda: self.cache.redis.mget(names))
        except UNAVAILABLE as exc:
            raise RegistryUnavailable(type(exc).__name__) from exc
        for value, trusted in zip(raw, (True, False), strict=False):
            if value is None:
                continue
            document = value.decode("utf-8") if isinstance(value, bytes) else str(value)
            # A hash is only honoured for the document it names, whatever Redis holds.
            if document_hash(document) != sha:
                log.error("persisted operation %s does not match its document; ignored", sha)
                return None
            self._remember(sha, document, trusted=trusted)
            return document
        return None

    async def register(self, document: str, *, trusted: bool) -> str:
        """Store ``document`` under its sha256 (idempotent) and return the hash."""
        sha = document_hash(document)
        data = document.encode("utf-8")
        try:
            if trusted:
                await self.cache.breaker.call(
                    lambda: self.cache.redis.set(keys.persisted_operation(sha), data)
                )
            else:
                await self.cache.breaker.call(
                    lambda: self.cache.redis.set(keys.automatic_operation(sha), data, ex=AUTOMATIC_TTL_S)
                )
        except UNAVAILABLE as exc:
            raise RegistryUnavailable(type(exc).__name__) from exc
        self._remember(sha, document, trusted=trusted)
        return sha
