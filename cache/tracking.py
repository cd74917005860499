"""The generation counters this process knows, kept current by Redis itself (server-assisted tracking).

A cache hit used to cost one Redis round trip to read the generations its entry depends on, and that
trip was half of a hit's cost. This connection asks Redis to push an invalidation whenever any key
under ``tt:gen`` changes (``CLIENT TRACKING ON BCAST PREFIX tt:gen``, RESP3), so a generation read
once stays known here until a write moves it: a hit whose generations are all known, whose local copy
is under that exact versioned key and whose caller holds leased rate-limit units needs no I/O at all.

Why no acknowledged write is missed:

- Redis queues a BCAST invalidation in the event-loop iteration that ran the write and writes it out
  before it runs any later command. A writer follows its bump with a second round trip (a fence,
  ``Cache.bump_articles``) before it acknowledges, so the push has left Redis for every tracking
  socket before the acknowledgement exists.
- Pushes are applied in ``data_received``, synchronously. Socket callbacks that one poll returns all
  run before any task they wake, so a request that arrives with (or after) the push is handled after it.
- A value learnt from a lookup is kept only if no invalidation and no reconnection happened while the
  lookup was in flight (``token`` / ``learn``): a lookup that read a value just before a bump cannot
  plant it after the bump's push went by.
- Knowledge needs a live connection: a PING every ``interval_s``; values are trusted only until
  ``window_s`` after the send time of the last PING answered (everything Redis pushed before it had
  arrived by then). A dead, closing or silent connection forgets everything. ``window_s`` (0.15 s)
  is below the writers' Redis timeout (0.25 s): when Redis goes silent for everyone, a writer cannot
  give up on its bump and acknowledge before every reader has stopped trusting what it knew.

A connection that drops (Redis restarted or killed, or silent for ``dead_s``, the writers' Redis
timeout) also tells the owner (``on_drop``): ``Cache`` then heals (bumps every generation) before it
trusts any entry again, because a writer may have lost a bump to the same outage and not have healed
yet.

What remains is a partition that cuts one API process off Redis while writers still reach it: that
process may serve what it knew for up to ``window_s`` after a write. ``LOCAL_HITS=false`` closes it
at the price of one Redis round trip per hit.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Final, cast

import hiredis

from cache.keys import GLOBAL_GENERATION
from cache.pipelined import Endpoint

log = logging.getLogger(__name__)

_INVALIDATE: Final = b"invalidate"


class _TrackingProtocol(asyncio.Protocol):
    def __init__(self, tracker: GenerationTracker) -> None:
        self.tracker = tracker
        self.reader = hiredis.Reader()
        self.replies: collections.deque[asyncio.Future[Any]] = collections.deque()
        self.transport: asyncio.Transport | None = None
        self.closed = False
        # Set once tracking is on: only then can a drop have hidden an outage from this process.
        self.established = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while (reply := self.reader.gets()) is not False:
            # Only pushes come back as arrays: the commands sent here answer with maps and strings.
            if isinstance(reply, list) and reply and reply[0] == _INVALIDATE:
                self.tracker.invalidated(reply[1])
            elif self.replies:
                waiter = self.replies.popleft()
                if not waiter.done():
                    waiter.set_result(reply)
            else:
                self.abort("an unexpected reply")
                return

    def eof_received(self) -> bool | None:
        # connection_lost comes a callback later; nothing may be served from here on.
        self._closed()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed()

    def command(self, *args: str | bytes) -> asyncio.Future[Any]:
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self.transport is None or self.closed:
            waiter.set_exception(ConnectionError("tracking connection closed"))
            return waiter
        self.replies.append(waiter)
        self.transport.write(hiredis.pack_command(args))  # type: ignore[arg-type]
        return waiter

    def abort(self, why: str | None) -> None:
        """Drop the connection; ``why`` is logged (and the drop reported) unless it was asked for (None)."""
        if why is not None and not self.closed:
            log.warning("generation tracking connection dropped: %s", why)
        self._closed(expected=why is None)
        if self.transport is not None:
            self.transport.abort()

    @property
    def usable(self) -> bool:
        return not self.closed and self.transport is not None and not self.transport.is_closing()

    def _closed(self, *, expected: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        self.tracker.forget_all()
        if not expected and self.established and self.tracker.on_drop is not None:
            self.tracker.on_drop()
        while self.replies:
            waiter = self.replies.popleft()
            if not waiter.done():
                waiter.set_exception(ConnectionError("tracking connection closed"))


class GenerationTracker:
    def __init__(
        self,
        endpoint: Endpoint | None = None,
        *,
        interval_s: float = 0.05,
        window_s: float = 0.15,
        dead_s: float = 0.25,
        connect_timeout_s: float = 0.25,
        retry_s: float = 0.25,
        max_known: int = 100_000,
    ) -> None:
        self.endpoint = endpoint or Endpoint()
        self.interval_s = interval_s
        self.window_s = window_s
        self.dead_s = dead_s
        # Called when an established connection drops unasked: an outage a writer may have lost a bump to.
        self.on_drop: Callable[[], None] | None = None
        self._connect_timeout_s = connect_timeout_s
        self._retry_s = retry_s
        self._max_known = max_known
        self._known: dict[str, str] = {}
        # Moves on every invalidation and every connection change: see ``token``.
        self._seq = 0
        self._fresh_until = 0.0
        self._protocol: _TrackingProtocol | None = None
        self._task: asyncio.Task[None] | None = None
        self.connections = 0
        self.client_id: int | None = None

    def start(self) -> None:
        """Connect in the background (idempotent); until connected every hit asks Redis."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="generation-tracker")

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._protocol is not None:
            self._protocol.abort(None)
            self._protocol = None

    def fresh(self) -> bool:
        """Whether what is known here may be trusted now."""
        protocol = self._protocol
        return protocol is not None and time.monotonic() < self._fresh_until and protocol.usable

    @property
    def trusted_until(self) -> float:
        """``time.monotonic()`` past which nothing known here is trusted unless another PONG arrives."""
        return self._fresh_until

    def token(self) -> int | None:
        """Taken before a lookup is sent; ``learn`` keeps its values only if nothing moved meanwhile."""
        return self._seq if self.fresh() else None

    def learn(self, token: int | None, names: Sequence[str], suffix: str) -> None:
        """Keep the generations a lookup read (``suffix``: their values joined by '.')."""
        if token is None or token != self._seq or not self.fresh():
            return
        values = suffix.split(".")
        if len(values) != len(names):
            return
        if len(self._known) + len(names) > self._max_known:
            self._known.clear()
        for name, value in zip(names, values, strict=True):
            self._known[name] = value

    def suffix(self, names: Sequence[str]) -> str | None:
        """The known values of ``names`` joined as a versioned key's suffix; None if any is unknown."""
        known = self._known
        if len(names) == 1:
            return known.get(names[0])
        values = []
        for name in names:
            value = known.get(name)
            if value is None:
                return None
            values.append(value)
        return ".".join(values)

    def invalidated(self, names: list[bytes] | None) -> None:
        """A push from Redis: these generations moved (None: FLUSHDB / FLUSHALL, any of them may have)."""
        if names is None:
            self._seq += 1
            self._known.clear()
        else:
            self.forget([name.decode() for name in names])

    def forget(self, names: Sequence[str]) -> None:
        """What this process just bumped itself: not known any more, whatever the push's timing."""
        self._seq += 1
        for name in names:
            self._known.pop(name, None)

    def forget_all(self) -> None:
        self._seq += 1
        self._fresh_until = 0.0
        self._known.clear()

    async def _run(self) -> None:
        delay = self._retry_s
        while True:
            try:
                protocol = await self._connect()
            except (OSError, TimeoutError, ConnectionError) as exc:
                # Once per outage, then quietly with backoff: every hit asks Redis meanwhile.
                level = logging.WARNING if delay == self._retry_s else logging.DEBUG
                why = f"{type(exc).__name__}: {exc}"
                log.log(level, "generation tracking unavailable (%s); hits ask Redis until it is back", why)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            delay = self._retry_s
            self._protocol = protocol
            self.connections += 1
            try:
                await self._heartbeat(protocol)
            finally:
                protocol.abort(None)
            await asyncio.sleep(self._retry_s)

    async def _connect(self) -> _TrackingProtocol:
        endpoint = self.endpoint

        def factory() -> _TrackingProtocol:
            return _TrackingProtocol(self)

        async with asyncio.timeout(self._connect_timeout_s):
            protocol = await endpoint.open(factory)
            hello: list[str] = ["HELLO", "3"]
            if endpoint.password is not None:
                hello += ["AUTH", endpoint.username or "default", endpoint.password]
            try:
                for command in (hello, ["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", GLOBAL_GENERATION]):
                    sent = time.monotonic()
                    reply = await protocol.command(*command)
                    if isinstance(reply, hiredis.ReplyError):
                        raise ConnectionError(f"Redis refused {command[0]}: {reply}")
                    if isinstance(reply, dict):  # HELLO's: who this connection is, for CLIENT KILL
                        self.client_id = int(reply[b"id"])
            except BaseException:
                protocol.abort(None)  # nothing was trusted yet; the caller reports it
                raise
        # Tracking is on from the reply to CLIENT TRACKING: every later change is pushed here.
        protocol.established = True
        self._seq += 1
        self._fresh_until = sent + self.window_s
        return protocol

    async def _heartbeat(self, protocol: _TrackingProtocol) -> None:
        while not protocol.closed:
            await asyncio.sleep(self.interval_s)
            sent = time.monotonic()
            try:
                async with asyncio.timeout(self.dead_s):
                    reply = await protocol.command("PING")
            except (TimeoutError, ConnectionError):
                if not protocol.closed:
                    protocol.abort(f"no PONG within {self.dead_s:g} s")
                return
            if isinstance(reply, hiredis.ReplyError):
                protocol.abort(f"PING refused: {reply}")
                return
            if not protocol.closed:
                self._fresh_until = sent + self.window_s


def tracker_for_url(url: str) -> GenerationTracker | None:
    """A tracker for ``url``, or ``None`` when it needs what this connection does not speak (TLS)."""
    endpoint = Endpoint.of_url(url)
    return GenerationTracker(endpoint) if endpoint is not None else None
