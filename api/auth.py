"""API-key authentication and scope checks for REST ``/v1`` and ``/graphql`` (pure ASGI middleware).

Keys come in ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``; one in the query string is
refused, because URLs end up in logs, proxies and browser history. Missing, malformed, unknown or
revoked keys get 401, a key without the needed scope 403, both as problem+json. The key record
is put on ``request.state.api_key`` for the layers below (rate limits, idempotency, GraphQL).
Keys are never logged: only their public ``key_id`` is, and ``RedactKeys`` scrubs log records.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping
from typing import Final

from starlette.datastructures import Headers, QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api._graphql_ops import GraphQLCall, inspect_graphql
from api._request_body import buffer_body
from api.errors import problem, problem_for
from core.errors import Forbidden, TickertoneError, Unauthorized
from services.deps import Deps
from services.keys import ApiKey, authenticate, require_scope

log = logging.getLogger("api.auth")

GRAPHQL_PATH: Final = "/graphql"
STATE_KEY: Final = "api_key"
GRAPHQL_CALL: Final = "tickertone.graphql"
# Names partners paste keys into by habit (Alpha Vantage's `apikey`, Polygon's `apiKey`, ...).
_QUERY_KEY_NAMES: Final = frozenset({"apikey", "api_key", "api-key", "key", "token", "access_token"})
_KEY_PATTERN = re.compile(r"tt_[a-z0-9]{8}_[A-Za-z0-9_-]{43}")
BEARER = re.compile(r"^\s*bearer\s+(\S+)\s*$", re.IGNORECASE)
_CHALLENGE: Final = {"WWW-Authenticate": 'Bearer realm="tickertone"'}


def required_scope(method: str, path: str) -> str | None:
    """The scope a REST call needs; None for public paths (health, docs, the contract)."""
    if not (path == "/v1" or path.startswith("/v1/")):
        return None
    if path.startswith("/v1/admin/") or path == "/v1/admin":
        return "admin"
    if path == "/v1/score":
        return "score"
    if method in ("GET", "HEAD", "OPTIONS"):
        return "read"
    if method == "POST" and (path == "/v1/articles" or path.startswith("/v1/articles/")):
        return "ingest"
    return "admin"


def is_graphql(path: str) -> bool:
    return path == GRAPHQL_PATH or path.startswith(GRAPHQL_PATH + "/")


def presented_key(headers: Headers) -> str | None:
    """The key from the headers; raises ``Unauthorized`` for a malformed or ambiguous header."""
    authorization = headers.get("authorization")
    header_key = headers.get("x-api-key")
    bearer: str | None = None
    if authorization is not None:
        match = BEARER.match(authorization)
        if match is None:
            raise Unauthorized(
                "the Authorization header must read 'Bearer <key>'", details={"reason": "malformed_key"}
            )
        bearer = match.group(1)
    if bearer is not None and header_key is not None and bearer != header_key.strip():
        raise Unauthorized(
            "Authorization and X-API-Key carry different keys", details={"reason": "malformed_key"}
        )
    key = bearer if bearer is not None else header_key
    return key.strip() if key is not None else None


@functools.lru_cache(maxsize=4096)  # a pure function of the bytes; pollers repeat the same few
def key_in_query(query_string: bytes) -> bool:
    params = QueryParams(query_string.decode("latin-1"))
    return any(name.lower() in _QUERY_KEY_NAMES for name in params) or bool(
        _KEY_PATTERN.search(query_string.decode("latin-1"))
    )


def _problem(scope: Scope, exc: TickertoneError) -> Response:
    request = Request(scope)
    if isinstance(exc, Unauthorized):
        reason = exc.details.get("reason", "unauthorized")
        return problem(
            request,
            status=401,
            code="unauthorized",
            detail=exc.message,
            headers=_CHALLENGE,
            extra={"reason": reason},
        )
    if isinstance(exc, Forbidden):
        return problem(
            request,
            status=403,
            code="forbidden",
            detail=exc.message,
            extra={k: v for k, v in exc.details.items() if k in ("required_scope", "scopes")},
        )
    return problem_for(request, exc)


def _wants_graphiql(scope: Scope) -> bool:
    if scope["type"] != "http" or scope.get("method") != "GET" or scope["path"] != GRAPHQL_PATH:
        return False
    # Decoded as the GraphQL view will decode it: a raw byte check let `?%71uery=` run without a key.
    if "query" in QueryParams(scope.get("query_string", b"").decode("latin-1")):
        return False
    return "text/html" in Headers(scope=scope).get("accept", "")


class AuthMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        graphql = is_graphql(path)
        rest_scope = None if graphql else required_scope(scope.get("method", "GET"), path)
        if not graphql and rest_scope is None:
            await self.app(scope, receive, send)
            return
        deps: Deps = scope["state"]["deps"]
        if graphql and deps.settings.development and _wants_graphiql(scope):
            # The IDE page holds no data; the queries it sends carry the key typed into its headers pane.
            await self.app(scope, receive, send)
            return
        try:
            if key_in_query(scope.get("query_string", b"")):
                raise Unauthorized(
                    "API keys are refused in the URL; send 'Authorization: Bearer <key>' or 'X-API-Key'",
                    details={"reason": "key_in_query"},
                )
            key = await authenticate(deps, key=presented_key(Headers(scope=scope)))
            if graphql and scope["type"] == "http":
                body, receive = await buffer_body(scope, receive, limit=deps.settings.max_body_bytes)
                call = inspect_graphql(
                    method=scope["method"], query_string=scope.get("query_string", b""), body=body
                )
                scope[GRAPHQL_CALL] = call
                for needed in sorted(call.scopes):
                    require_scope(key, needed)
            else:
                require_scope(key, rest_scope or "read")
        except TickertoneError as exc:
            if scope["type"] == "websocket":
                # Closing before accept makes the server answer the handshake with 403.
                await send({"type": "websocket.close", "code": 4403 if isinstance(exc, Forbidden) else 4401})
                return
            response = _problem(scope, exc)
            await response(scope, receive, send)
            return
        scope["state"][STATE_KEY] = key
        await self.app(scope, receive, send)


def api_key_of(scope_or_state: Mapping[str, object]) -> ApiKey | None:
    key = scope_or_state.get(STATE_KEY)
    return key if isinstance(key, ApiKey) else None


def graphql_call_of(scope: Scope) -> GraphQLCall | None:
    call = scope.get(GRAPHQL_CALL)
    return call if isinstance(call, GraphQLCall) else None


class RedactKeys(logging.Filter):
    """Replaces anything shaped like a Tickertone key in a log record (e.g. uvicorn's access log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _KEY_PATTERN.sub("tt_[redacted]", a) if isinstance(a, str) else a for a in record.args
            )
        if isinstance(record.msg, str):
            record.msg = _KEY_PATTERN.sub("tt_[redacted]", record.msg)
        return True
