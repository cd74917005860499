"""The hit path: a GraphQL query the response cache holds is answered before the rest of the stack runs.

Front-ends poll the same few queries all day, so most reads are hits, and a hit's real work is small:
recognise the caller, spend its budget, fetch stored bytes. Walking it through every layer (deadline
task, body limit, authentication, rate limit, idempotency, the GraphQL front, each wrapping ``send``)
cost more than the work itself. This layer does exactly the checks those layers would do, from the
same functions, for the one case it can decide without I/O beyond a single Redis round trip:

- ``POST /graphql`` with a JSON body of ``query`` / ``variables`` / ``operationName`` only (no
  persisted-query extension, no batch), a cacheable query (``GraphQLReads``), no ``Idempotency-Key``;
- a key this process has verified within ``services.keys.CACHE_TTL_S`` (``known_key``), with the
  ``read`` scope and not restricted to registered documents;
- the response cache on; the charge and the lookup then run as one script, as below.

An allowed hit is sent here with the headers the full path sends; a refusal is the same 429. Anything
else goes down the full stack untouched; a miss goes down with its charge settled and its storage
key known (``PendingCharge.miss``), so it is neither charged twice nor looked up twice.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Final

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api._charge import PENDING, PendingCharge
from api._graphql_ops import inspect_graphql
from api._request_body import remember_body, replay
from api.auth import BEARER
from api.caching import GRAPHQL_PATH, GraphQLRead, GraphQLReads, GraphQLRejection, visibility
from api.idempotency import HEADER as IDEMPOTENCY_HEADER
from api.ratelimits import rate_headers, refusal
from core.errors import TickertoneError
from services.deps import Deps
from services.keys import known_key
from services.ratelimit import charge_and_lookup
from services.reads_cache import Entry

# Polled bodies are small; anything larger takes the full path, which enforces the real limit.
_MAX_BODY: Final = 16_384
_PAYLOAD_KEYS: Final = frozenset({"query", "variables", "operationName"})
_HIT_HEADERS: Final = ((b"content-type", b"application/json"), (b"x-cache", b"hit"))
# Requests whose handling above the cache differs: idempotent replays, streamed bodies.
_FULL_PATH_HEADERS: Final = frozenset({IDEMPOTENCY_HEADER.encode(), b"transfer-encoding"})


class _Prepared:
    __slots__ = ("cost", "digests", "read")

    def __init__(self, cost: int, read: GraphQLRead) -> None:
        self.cost = cost
        self.read = read
        # visibility -> the entry's digest: a handful of scope sets, and sha256 is not free.
        self.digests: dict[str, str] = {}

    def digest(self, visibility: str) -> str:
        found = self.digests.get(visibility)
        if found is None:
            found = self.digests[visibility] = self.read.digest(visibility)
        return found


class HitMiddleware:
    def __init__(self, app: ASGIApp, *, reads: GraphQLReads, size: int = 1024) -> None:
        self.app = app
        self.reads = reads
        self.size = size
        # Exact body bytes -> what the cache needs of them, or None for "not for this path".
        self._prepared: OrderedDict[bytes, _Prepared | None] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != GRAPHQL_PATH
            or scope["method"] != "POST"
            or scope.get("query_string")
        ):
            await self.app(scope, receive, send)
            return
        deps: Deps = scope["state"]["deps"]
        secret: str | None = None
        length = -1
        for name, value in scope["headers"]:
            if name == b"x-api-key" or name == b"authorization":
                # Two key headers (or a malformed one): authentication decides what that means.
                match = BEARER.match(value.decode("latin-1")) if name == b"authorization" else None
                if secret is not None or (name == b"authorization" and match is None):
                    secret = None
                    break
                secret = match.group(1) if match is not None else value.decode("latin-1").strip()
            elif name == b"content-length":
                length = int(value) if value.isdigit() else -1
            elif name in _FULL_PATH_HEADERS:
                secret = None
                break
        if secret is None or not 0 < length <= _MAX_BODY or not deps.settings.response_cache:
            await self.app(scope, receive, send)
            return
        key = known_key(deps, key=secret)
        if key is None or key.persisted_only or "read" not in key.scopes:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:  # the client went away
            return
        receive = replay(body, receive)
        remember_body(scope, body)
        prepared = self._prepare(body)
        if prepared is None or prepared.read.depends_on is None:
            await self.app(scope, receive, send)
            return
        digest = prepared.digest(visibility(key))
        try:
            policy, decision, found = await charge_and_lookup(
                deps, key=key, cost=prepared.cost, digest=digest, depends_on=prepared.read.depends_on
            )
        except TickertoneError:  # a cost no budget covers: refused before anything was charged
            await self.app(scope, receive, send)
            return
        if not decision.allowed:
            await refusal(scope, policy, decision, prepared.cost)(scope, receive, send)
            return
        if isinstance(found, Entry):
            headers = [*_HIT_HEADERS, (b"content-length", str(len(found.body)).encode())]
            headers += [(k.lower().encode(), v.encode()) for k, v in rate_headers(policy, decision).items()]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": found.body})
            return
        pending = PendingCharge(deps, key, prepared.cost, policy, decision)
        if found is not None:
            pending.miss = (digest, found)
        scope[PENDING] = pending
        await self.app(scope, receive, send)

    def _prepare(self, body: bytes) -> _Prepared | None:
        if body in self._prepared:
            self._prepared.move_to_end(body)
            return self._prepared[body]
        made = _prepare(self.reads, body)
        self._prepared[body] = made
        if len(self._prepared) > self.size:
            self._prepared.popitem(last=False)
        return made


def _prepare(reads: GraphQLReads, body: bytes) -> _Prepared | None:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(payload, dict) or not payload.keys() <= _PAYLOAD_KEYS:
        return None
    query = payload.get("query")
    variables = payload.get("variables") or {}
    operation_name = payload.get("operationName")
    if (
        not isinstance(query, str)
        or not isinstance(variables, dict)
        or not (operation_name is None or isinstance(operation_name, str))
    ):
        return None
    call = inspect_graphql(method="POST", query_string=b"", body=body)
    if call.scopes != {"read"}:
        return None
    try:
        read = reads.read(query, variables, operation_name)
    except GraphQLRejection:
        return None  # the full path refuses it with its code
    return _Prepared(cost=call.cost, read=read)


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
