"""After-commit notifications: cache bumps and ``article.scored`` messages, off the scoring path.

Scoring never waits for Redis. Stored results are queued here and sent by one background task; while
Redis is down, messages wait in a bounded buffer and are published when it answers again, and a lost cache
bump is healed (global generation bump) as soon as Redis is reachable, checked every 0.2 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque

from services import scores as score_service
from services.deps import Deps
from services.scores import StoredScore

log = logging.getLogger(__name__)

_RETRY_S = 0.2
# Past this many unsent messages the oldest are dropped: pub/sub is best-effort; Postgres has the truth.
MAX_BACKLOG = 20_000


class Notifier:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._fresh: deque[StoredScore] = deque()
        self._unsent: deque[StoredScore] = deque(maxlen=MAX_BACKLOG)
        self._ready = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.sent = 0

    def add(self, stored: list[StoredScore]) -> None:
        self._fresh.extend(stored)
        self._ready.set()

    @property
    def backlog(self) -> int:
        return len(self._fresh) + len(self._unsent)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="notifier")

    async def _run(self) -> None:
        while True:
            cache = self._deps.cache
            retrying = bool(self._unsent) or (cache is not None and cache.dirty)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), _RETRY_S if retrying else 5.0)
            self._ready.clear()
            await self.flush()
            if self._stopping.is_set():
                return

    async def flush(self) -> None:
        cache = self._deps.cache
        if cache is not None and cache.dirty:
            await cache.heal()
        if self._unsent:
            pending = list(self._unsent)
            self._unsent.clear()
            still = await score_service.publish_scored(self._deps, stored=pending)
            self._unsent.extend(still)
            self.sent += len(pending) - len(still)
            if still:
                return  # Redis still down; fresh results wait their turn (their bump included).
        batch = list(self._fresh)
        self._fresh.clear()
        if batch:
            unsent = await score_service.notify_scored(self._deps, stored=batch)
            self.sent += len(batch) - len(unsent)
            if unsent:
                dropped = max(0, len(self._unsent) + len(unsent) - MAX_BACKLOG)
                if dropped:
                    log.warning("dropping %d article.scored messages: Redis down too long", dropped)
                self._unsent.extend(unsent)

    async def close(self, *, timeout_s: float) -> None:
        """Send what is queued, waiting at most ``timeout_s`` (Redis may be down)."""
        self._stopping.set()
        self._ready.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout_s)
            except TimeoutError:
                pass
        if self.backlog:
            log.warning("%d article.scored messages not published at shutdown", self.backlog)
