"""The hit path: a read the response cache holds is answered before the rest of the stack runs.

Front-ends poll the same few queries all day and partners re-read the same pages, so most reads are
hits, and a hit's real work is small: recognise the caller, spend its budget, send stored bytes.
Walking it through every layer (deadline task, body limit, authentication, rate limit, idempotency,
the cache middleware, each wrapping ``send``) cost more than the work itself. This layer does the
checks those layers would do, from the same functions, for the cases it can decide with at most one
Redis round trip (none when the caller's rate-limit lease pays and this process' copy is known
current, ``cache.responses.ResponseCache.charge_and_get``):

- ``POST /graphql`` with a JSON body of ``query`` / ``variables`` / ``operationName`` only (no
  persisted-query extension, no batch) holding a cacheable query (``GraphQLReads``), or a ``GET`` the
  REST read-through stores (``rest_read_through``) with no key in its query string;
- a key this process has verified within ``services.keys.CACHE_TTL_S`` (``known_key``), with the
  ``read`` scope and not restricted to registered documents; no ``Idempotency-Key``;
- the response cache on. The rate-limit charge and the lookup then run as one script, if at all.

A hit is sent here with the headers the full path sends (REST: ``ETag``, 304 on ``If-None-Match``,
``Cache-Control``); a refusal is the same 429. Anything else goes down the full stack untouched; a miss
goes down with its charge settled and its storage key known (``PendingCharge.miss``), so it is neither
charged twice nor looked up twice.

With the response cache off, the same callers' GraphQL queries that the view's compiled path answers
(one SQL statement for the whole ``data``) are answered here too: the GraphQL front's limit check, the
charge, the compiled read and the full stack's headers, under the full stack's per-request deadline
(``DeadlineMiddleware.guard``). What the compiled path declines goes down the full stack with its
charge standing (a settled ``PendingCharge``).
"""

from __future__ import annotations

import functools
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Protocol, TypeVar

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api._charge import PENDING, PendingCharge
from api._graphql_ops import inspect_graphql
from api._request_body import remember_body, replay
from api.auth import BEARER, key_in_query
from api.caching import (
    GRAPHQL_PATH,
    GraphQLRead,
    GraphQLReads,
    GraphQLRejection,
    operation_parts,
    rest_dependencies,
    rest_digest,
    rest_read_through,
    send_rest_entry,
    visibility,
)
from api.deadline import DeadlineMiddleware
from api.idempotency import HEADER as IDEMPOTENCY_HEADER
from api.middleware import internal_error
from api.ratelimits import raw_rate_headers, refusal
from core.errors import TickertoneError
from services.deps import Deps
from services.keys import ApiKey, known_key
from services.ratelimit import charge, charge_and_lookup
from services.reads_cache import Entry

log = logging.getLogger("api.hits")

K = TypeVar("K")
V = TypeVar("V")

# Polled bodies are small; anything larger takes the full path, which enforces the real limit.
_MAX_BODY: Final = 16_384
_PAYLOAD_KEYS: Final = frozenset({"query", "variables", "operationName"})
_HIT_HEADERS: Final = ((b"content-type", b"application/json"), (b"x-cache", b"hit"))
# Requests whose handling above the cache differs: idempotent replays, streamed bodies.
_FULL_PATH_HEADERS: Final = frozenset({IDEMPOTENCY_HEADER.encode(), b"transfer-encoding"})


class CompiledReads(Protocol):
    """The GraphQL view's compiled path (``schema.view.GraphQLView``)."""

    def takes_compiled(self, content_type: str, accept: str) -> bool: ...

    async def execute_compiled(
        self, deps: Deps, query: str, variables: dict[str, Any] | None, operation_name: str | None
    ) -> bytes | None: ...


class _Prepared:
    __slots__ = ("cost", "digests", "operation_name", "query", "read", "variables")

    def __init__(
        self,
        cost: int,
        read: GraphQLRead,
        query: str,
        variables: dict[str, Any],
        operation_name: str | None,
    ) -> None:
        self.cost = cost
        self.read = read
        self.query = query
        self.variables = variables
        self.operation_name = operation_name
        # visibility -> the entry's digest: a handful of scope sets, and sha256 is not free.
        self.digests: dict[str, str] = {}

    def digest(self, visibility: str) -> str:
        found = self.digests.get(visibility)
        if found is None:
            found = self.digests[visibility] = self.read.digest(visibility)
        return found


class HitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        reads: GraphQLReads,
        compiled: CompiledReads,
        timeout_s: float,
        size: int = 1024,
    ) -> None:
        self.app = app
        self.reads = reads
        self.compiled = compiled
        # The uncached compiled path answers under the same per-request deadline as the full stack.
        self._deadline = DeadlineMiddleware(app, timeout_s=timeout_s)
        self.size = size
        # Exact body bytes -> what the cache needs of them, or None for "not for this path".
        self._prepared: OrderedDict[bytes, _Prepared | None] = OrderedDict()
        # (host, path, query string, visibility) -> the REST entry's digest and dependencies.
        self._rest_entries: OrderedDict[tuple[str, str, bytes, str], tuple[str, tuple[str, ...]]] = (
            OrderedDict()
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        graphql = scope["path"] == GRAPHQL_PATH and scope["method"] == "POST" and not scope["query_string"]
        if not graphql and not rest_read_through(scope):
            await self.app(scope, receive, send)
            return
        deps: Deps = scope["state"]["deps"]
        cached = deps.settings.response_cache
        request = _scan(scope["headers"]) if cached or graphql else None
        key = known_key(deps, key=request.secret) if request is not None else None
        if request is None or key is None or key.persisted_only or "read" not in key.scopes:
            await self.app(scope, receive, send)
            return
        if not cached and (
            not 0 < request.length <= _MAX_BODY
            or not self.compiled.takes_compiled(request.content_type, request.accept)
        ):
            await self.app(scope, receive, send)
            return
        answered = False

        async def answer(message: Message) -> None:
            nonlocal answered
            answered = True
            await send(message)

        try:
            if not cached:
                uncached = functools.partial(self._uncached, deps=deps, key=key)
                await self._deadline.guard(uncached, scope, receive, answer)
                onward = None
            elif graphql:
                onward = await self._graphql(scope, receive, answer, deps, key, request.length)
            elif request.length <= 0 and not key_in_query(scope["query_string"]):
                onward = await self._rest(scope, receive, answer, deps, key, request)
            else:
                onward = receive
        except Exception:
            # This layer sits outside CatchAllMiddleware (a hit passes no other layer): the same answer.
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if answered:
                raise
            await internal_error(scope, receive, send)
            return
        if onward is not None:
            await self.app(scope, onward, send)

    async def _graphql(
        self, scope: Scope, receive: Receive, send: Send, deps: Deps, key: ApiKey, length: int
    ) -> Receive | None:
        """None when answered here; else the ``receive`` the full stack goes on with."""
        if not 0 < length <= _MAX_BODY:
            return receive
        body = await _read_body(receive)
        if body is None:  # the client went away
            return None
        prepared = self._prepare(body)
        if prepared is not None and prepared.read.depends_on is not None:
            digest = prepared.digest(visibility(key))
            outcome = await self._charge(
                scope, receive, send, deps, key, prepared.cost, digest, prepared.read.depends_on
            )
            if isinstance(outcome, tuple):
                entry, rate = outcome
                headers = [*_HIT_HEADERS, (b"content-length", str(len(entry.body)).encode()), *rate]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": entry.body})
                return None
            if not outcome:
                return None
        remember_body(scope, body)
        return replay(body, receive)

    async def _uncached(self, scope: Scope, receive: Receive, send: Send, *, deps: Deps, key: ApiKey) -> None:
        """Response cache off (run under the full stack's deadline): a query the compiled path answers
        (one SQL statement) is answered here with the full stack's checks, charge and headers; anything
        else goes on to the full stack."""
        body = await _read_body(receive)
        if body is None:  # the client went away
            return
        remember_body(scope, body)
        onward = replay(body, receive)
        prepared = self._prepare(body)
        if prepared is None or self.reads.limit_errors(prepared.read, prepared.variables):
            # The full stack refuses it with its code (or answers it through strawberry).
            await self.app(scope, onward, send)
            return
        try:
            policy, decision = await charge(deps, key=key, cost=prepared.cost)
        except TickertoneError:  # a cost no budget covers: the full stack says so, uncharged
            await self.app(scope, onward, send)
            return
        if not decision.allowed:
            await refusal(scope, policy, decision, prepared.cost)(scope, receive, send)
            return
        data = await self.compiled.execute_compiled(
            deps, prepared.query, prepared.variables, prepared.operation_name
        )
        if data is None:  # strawberry answers; the charge stands
            scope[PENDING] = PendingCharge(deps, key, prepared.cost, policy, decision)
            await self.app(scope, onward, send)
            return
        headers = [
            (b"content-length", str(len(data)).encode()),
            (b"content-type", b"application/json"),
            *raw_rate_headers(policy, decision),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": data})

    async def _rest(
        self, scope: Scope, receive: Receive, send: Send, deps: Deps, key: ApiKey, request: _Request
    ) -> Receive | None:
        path: str = scope["path"]
        digest, depends_on = self._rest_entry(scope, request.host, key)
        outcome = await self._charge(scope, receive, send, deps, key, 1, digest, depends_on)
        if isinstance(outcome, tuple):
            entry, rate = outcome
            await send_rest_entry(send, entry, request.if_none_match, path=path, hit=True, extra=rate)
            return None
        return receive if outcome else None

    async def _charge(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        deps: Deps,
        key: ApiKey,
        cost: int,
        digest: str,
        depends_on: tuple[str, ...],
    ) -> tuple[Entry, list[tuple[bytes, bytes]]] | bool:
        """Charge and look up in one round trip: the entry to send with its rate-limit headers, True
        when the full stack must answer (the charge, if made, is in the scope), False when a refusal
        was sent here."""
        try:
            policy, decision, found = await charge_and_lookup(
                deps, key=key, cost=cost, digest=digest, depends_on=depends_on
            )
        except TickertoneError:  # a cost no budget covers: refused before anything was charged
            return True
        if not decision.allowed:
            await refusal(scope, policy, decision, cost)(scope, receive, send)
            return False
        if isinstance(found, Entry):
            return found, raw_rate_headers(policy, decision)
        pending = PendingCharge(deps, key, cost, policy, decision)
        if found is not None:
            pending.miss = (digest, found)
        scope[PENDING] = pending
        return True

    def _rest_entry(self, scope: Scope, host: str, key: ApiKey) -> tuple[str, tuple[str, ...]]:
        """The entry's digest and dependencies; pollers repeat the same few URLs, and sha256 is not free."""
        name = (host, scope["path"], scope["query_string"], visibility(key))
        return _remembered(
            self._rest_entries,
            name,
            lambda: (rest_digest(scope, host, key), rest_dependencies(scope["path"])),
            self.size,
        )

    def _prepare(self, body: bytes) -> _Prepared | None:
        return _remembered(self._prepared, body, lambda: _prepare(self.reads, body), self.size)


def _remembered(table: OrderedDict[K, V], key: K, make: Callable[[], V], size: int) -> V:
    """``table[key]``, made on first use; ``table`` is an LRU of at most ``size`` items."""
    if key in table:
        table.move_to_end(key)
        return table[key]
    made = table[key] = make()
    if len(table) > size:
        table.popitem(last=False)
    return made


# Not frozen: a frozen dataclass sets each field through object.__setattr__ (0.6 against 0.15 us).
@dataclass(slots=True)
class _Request:
    secret: str
    length: int
    host: str
    if_none_match: str | None
    content_type: str
    accept: str


def _scan(headers: list[tuple[bytes, bytes]]) -> _Request | None:
    """The headers this path needs, or None when another layer must decide (no key, two keys, a
    malformed one, an idempotent replay, a streamed body)."""
    secret: str | None = None
    length = 0
    host = ""
    if_none_match: str | None = None
    content_type = accept = ""
    for name, value in headers:
        if name == b"x-api-key" or name == b"authorization":
            match = BEARER.match(value.decode("latin-1")) if name == b"authorization" else None
            if secret is not None or (name == b"authorization" and match is None):
                return None
            secret = match.group(1) if match is not None else value.decode("latin-1").strip()
        elif name == b"content-length":
            length = int(value) if value.isdigit() else -1
        elif name == b"host":
            host = value.decode("latin-1")
        elif name == b"if-none-match":
            if_none_match = value.decode("latin-1")
        elif name == b"content-type":
            content_type = value.decode("latin-1")
        elif name == b"accept":
            accept = value.decode("latin-1")
        elif name in _FULL_PATH_HEADERS:
            return None
    return None if secret is None else _Request(secret, length, host, if_none_match, content_type, accept)


def _prepare(reads: GraphQLReads, body: bytes) -> _Prepared | None:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(payload, dict) or not payload.keys() <= _PAYLOAD_KEYS:
        return None
    parts = operation_parts(payload.get("query"), payload)
    if parts is None or not isinstance(payload.get("variables"), dict | None):
        return None  # ("variables": [] reads as {} to the cache; strawberry refuses it: let it)
    query, variables, operation_name = parts
    call = inspect_graphql(method="POST", query_string=b"", body=body)
    if call.scopes != {"read"}:
        return None
    try:
        read = reads.read(query, variables, operation_name)
    except GraphQLRejection:
        return None  # the full path refuses it with its code
    return _Prepared(call.cost, read, query, variables, operation_name)


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body (its length was declared and bounded above), or None on a disconnect."""
    chunks: list[bytes] = []
    while True:
        message: Message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
