"""A circuit breaker for Redis calls: a refusing, slow or silent Redis costs a read nothing once it opens.

closed ──(N consecutive failures or timeouts)──> open ──(cooldown elapsed)──> half-open
  ^                                                ^                            │
  └──────────────(probe call succeeds)─────────────┴──(probe fails)─────────────┘

In half-open one probe runs: in the background when the breaker has a ``probe`` (a PING), so no
request waits on a Redis that may still be silent, else as exactly one caller let through; everyone
else bypasses Redis until it answers. Each call gets its own deadline, far below the client's socket
timeout, so a blackholed Redis is detected in ``failure_threshold * call_timeout_s`` at most (0.3 s
with the defaults), not seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

from redis.exceptions import RedisError

log = logging.getLogger(__name__)

T = TypeVar("T")
State = Literal["closed", "open", "half_open"]

# What "Redis is not answering" looks like from redis-py: refused/reset sockets are OSError or
# ConnectionError, timeouts are RedisError subclasses or our own TimeoutError.
FAILURES: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)


class BreakerOpen(Exception):
    """The breaker refused the call without trying Redis; the caller takes its fallback path."""


# Everything a caller of ``CircuitBreaker.call`` treats as "no answer from Redis".
UNAVAILABLE: tuple[type[BaseException], ...] = (BreakerOpen, *FAILURES)


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    failure_threshold: int = 3
    call_timeout_s: float = 0.1
    cooldown_s: float = 0.5


class CircuitBreaker:
    def __init__(
        self,
        settings: BreakerSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        probe: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self.settings = settings or BreakerSettings()
        self._clock = clock
        self._probe = probe
        self._probe_task: asyncio.Task[None] | None = None
        self._state: State = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False
        self.opened_count = 0

    @property
    def state(self) -> State:
        if self._state == "open" and self._clock() - self._opened_at >= self.settings.cooldown_s:
            return "half_open"
        return self._state

    def allows(self) -> bool:
        """Whether a call would be attempted now (without reserving the half-open probe slot)."""
        state = self.state
        return state == "closed" or (state == "half_open" and not self._probing)

    async def call(self, fn: Callable[[], Awaitable[T]], *, bounded: bool = False) -> T:
        """Run ``fn`` under the breaker; raises ``BreakerOpen`` or the failure that counted against it.

        ``bounded``: ``fn`` enforces ``call_timeout_s`` itself (raising ``TimeoutError``), so the
        breaker need not arm a timer of its own; on the hot path that timer cost ~10% of a hit.
        """
        state = self.state
        probe = False
        if state == "open" or (state == "half_open" and self._probing):
            raise BreakerOpen("redis circuit is open")
        if state == "half_open":
            self._probing = True
            if self._probe is not None:
                self._probe_task = asyncio.create_task(self._background_probe(self._probe))
                raise BreakerOpen("redis circuit is half-open; probing in the background")
            probe = True
        try:
            if bounded:
                result = await fn()
            else:
                async with asyncio.timeout(self.settings.call_timeout_s):
                    result = await fn()
        except FAILURES as exc:
            self._record_failure(exc, probe=probe)
            raise
        except BaseException:
            # Cancellation of the caller says nothing about Redis; free the probe slot.
            if probe:
                self._probing = False
            raise
        self._record_success(probe=probe)
        return result

    async def _background_probe(self, probe: Callable[[], Awaitable[object]]) -> None:
        try:
            async with asyncio.timeout(self.settings.call_timeout_s):
                await probe()
        except FAILURES as exc:
            self._record_failure(exc, probe=True)
        except BaseException:
            self._probing = False
            raise
        else:
            self._record_success(probe=True)

    def _record_success(self, *, probe: bool) -> None:
        if probe or self._state != "closed":
            log.info("redis circuit closed: Redis answers again")
        self._state = "closed"
        self._failures = 0
        self._probing = False

    def _record_failure(self, exc: BaseException, *, probe: bool) -> None:
        self._failures += 1
        if probe:
            self._probing = False
            self._open(exc)
        elif self._state == "closed" and self._failures >= self.settings.failure_threshold:
            self._open(exc)

    def _open(self, exc: BaseException) -> None:
        if self._state != "open":
            self.opened_count += 1
            log.warning("redis circuit opened after %s: reads bypass Redis", type(exc).__name__)
        self._state = "open"
        self._opened_at = self._clock()
