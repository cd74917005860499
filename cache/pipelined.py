"""A pipelined Redis connection for the hot path: one socket, replies matched to callers in order.

Every read the API answers runs one Lua script (rate-limit charge plus response lookup). Through
redis-py that call costs ~60 us of CPU (connection pool, command packing, retry and parser layers),
more than a whole bare Starlette request. Here a call is the hiredis packer, one ``transport.write``
and a future resolved from ``data_received`` by the hiredis parser: ~14 us, measured in the same run
(bench/README.md). Redis answers a connection's commands in the order they were sent, so concurrent
callers share the socket without a pool: each waits on its own future in a FIFO.

It speaks only what the hot path needs (``EVALSHA`` with ``SCRIPT LOAD`` on ``NOSCRIPT``) and is
built only for plain ``redis://`` and ``unix://`` URLs; for anything else (TLS) ``connect_url``
returns ``None`` and callers keep redis-py. Failures are redis-py's exception types, so the circuit
breaker and the rate limiter treat both clients alike. A caller that gives up (its deadline passed,
or it was cancelled) aborts the connection: later replies would arrive behind the late one anyway,
and the next call starts on a fresh socket.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import hiredis
from redis.asyncio.connection import UnixDomainSocketConnection, parse_url
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError

Arg = str | bytes | int | float
P = TypeVar("P", bound=asyncio.BaseProtocol)


def _pack(args: Sequence[Arg]) -> bytes:
    # hiredis' stub types the argument as a one-element tuple; it takes any tuple of command parts.
    packed: bytes = hiredis.pack_command(tuple(args))  # type: ignore[arg-type]
    return packed


class _Protocol(asyncio.Protocol):
    def __init__(self, timeout_s: float) -> None:
        self.reader = hiredis.Reader()
        # (waiter, when sent): replies come back in this order.
        self.waiters: collections.deque[tuple[asyncio.Future[Any], float]] = collections.deque()
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.timeout_s = timeout_s
        self._outgoing: list[bytes] = []
        self._watchdog: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement the interface without subclassing asyncio.Transport.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while (reply := self.reader.gets()) is not False:
            if not self.waiters:  # a reply nobody asked for: the stream is out of step
                self.abort(RedisConnectionError("unexpected reply from Redis"))
                return
            waiter, _ = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(RedisConnectionError(f"connection to Redis lost: {exc or 'closed'}"))

    def send(self, packed: bytes) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Any] = loop.create_future()
        self.waiters.append((waiter, loop.time()))
        # Commands issued in the same loop iteration leave in one write (one syscall, one packet).
        if not self._outgoing:
            loop.call_soon(self._flush)
        self._outgoing.append(packed)
        if self._watchdog is None:
            self._watchdog = loop.call_at(loop.time() + self.timeout_s, self._check_deadline)
        return waiter

    def _flush(self) -> None:
        outgoing, self._outgoing = self._outgoing, []
        if self.transport is not None and not self.closed:
            self.transport.write(b"".join(outgoing))

    def _check_deadline(self) -> None:
        """One timer per connection instead of one per call: Redis answers in order, so when the
        oldest call is overdue the connection is stuck (a blackholed or stalled Redis)."""
        self._watchdog = None
        if self.closed or not self.waiters:
            return
        loop = asyncio.get_running_loop()
        due = self.waiters[0][1] + self.timeout_s
        if due <= loop.time():
            self.abort(TimeoutError(f"Redis did not answer within {self.timeout_s:g} s"))
        else:
            self._watchdog = loop.call_at(due, self._check_deadline)

    def abort(self, exc: Exception) -> None:
        self.closed = True
        self._fail(exc)
        if self.transport is not None:
            self.transport.abort()

    def _fail(self, exc: Exception) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        while self.waiters:
            waiter, _ = self.waiters.popleft()
            if not waiter.done():
                waiter.set_exception(exc)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A plain (``redis://`` or ``unix://``) Redis server and its login, for the raw-protocol clients."""

    host: str = "127.0.0.1"
    port: int = 6379
    path: str | None = None
    db: int = 0
    username: str | None = None
    password: str | None = None

    @classmethod
    def of_url(cls, url: str) -> Endpoint | None:
        """``None`` when ``url`` needs what these clients do not speak (TLS): callers keep redis-py."""
        options = parse_url(url)
        connection_class = options.get("connection_class")
        if connection_class is not None and connection_class is not UnixDomainSocketConnection:
            return None
        return cls(
            host=str(options.get("host", "127.0.0.1")),
            port=int(options.get("port", 6379)),
            path=options.get("path"),
            db=int(options.get("db", 0)),
            username=options.get("username"),
            password=options.get("password"),
        )

    async def open(self, factory: Callable[[], P]) -> P:
        loop = asyncio.get_running_loop()
        if self.path is not None:
            _, protocol = await loop.create_unix_connection(factory, self.path)
        else:
            _, protocol = await loop.create_connection(factory, self.host, self.port)
        return protocol


class PipelinedRedis:
    def __init__(
        self, endpoint: Endpoint | None = None, *, connect_timeout_s: float = 0.25, timeout_s: float = 0.25
    ) -> None:
        self.timeout_s = timeout_s
        self.endpoint = endpoint or Endpoint()
        self._connect_timeout_s = connect_timeout_s
        self._protocol: _Protocol | None = None
        self._connecting: asyncio.Lock | None = None

    async def execute(self, *args: Arg) -> Any:
        """One command; its reply, or ``ResponseError`` / ``ConnectionError`` / ``OSError``."""
        protocol = self._protocol
        if protocol is None or protocol.closed:
            protocol = await self._connect()
        waiter = protocol.send(_pack(args))
        try:
            reply = await waiter
        except asyncio.CancelledError:
            protocol.abort(RedisConnectionError("an earlier call on this connection was abandoned"))
            raise
        if isinstance(reply, hiredis.ReplyError):
            message = str(reply)
            raise NoScriptError(message) if message.startswith("NOSCRIPT") else ResponseError(message)
        return reply

    def register_script(self, source: str) -> Script:
        return Script(self, source)

    async def aclose(self) -> None:
        if self._protocol is not None:
            self._protocol.abort(RedisConnectionError("client closed"))
            self._protocol = None

    async def _connect(self) -> _Protocol:
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._protocol is not None and not self._protocol.closed:
                return self._protocol  # another caller connected while we waited
            endpoint = self.endpoint

            def factory() -> _Protocol:
                return _Protocol(self.timeout_s)

            async with asyncio.timeout(self._connect_timeout_s):
                protocol = await endpoint.open(factory)
                setup: list[Sequence[Arg]] = []
                if endpoint.password is not None:
                    auth = ("AUTH", endpoint.username, endpoint.password) if endpoint.username else None
                    setup.append(auth or ("AUTH", endpoint.password))
                if endpoint.db:
                    setup.append(("SELECT", endpoint.db))
                for waiter in [protocol.send(_pack(cmd)) for cmd in setup]:
                    reply = await waiter
                    if isinstance(reply, hiredis.ReplyError):
                        protocol.abort(RedisConnectionError(str(reply)))
                        raise RedisConnectionError(f"Redis refused the connection setup: {reply}")
            self._protocol = protocol
            return protocol


class Script:
    """``EVALSHA`` with the source loaded on demand (a restarted Redis has forgotten it)."""

    def __init__(self, client: PipelinedRedis, source: str) -> None:
        self._client = client
        self._source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    async def __call__(self, keys: Sequence[str], args: Sequence[Arg]) -> Any:
        try:
            return await self._client.execute("EVALSHA", self.sha, len(keys), *keys, *args)
        except NoScriptError:
            await self._client.execute("SCRIPT", "LOAD", self._source)
            return await self._client.execute("EVALSHA", self.sha, len(keys), *keys, *args)


def connect_url(url: str, *, timeout_s: float = 0.25) -> PipelinedRedis | None:
    """A client for ``url``, or ``None`` when it needs what this client does not speak (TLS)."""
    endpoint = Endpoint.of_url(url)
    if endpoint is None:
        return None
    return PipelinedRedis(endpoint, connect_timeout_s=timeout_s, timeout_s=timeout_s)
