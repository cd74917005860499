"""``Idempotency-Key`` on POST: replay the first response, 409 while it runs, 422 for another body.

Runs after authentication (records are scoped per API key) and rate limiting (a replay still
spends budget: it is a request). Requests without the header pass through untouched.
"""

from __future__ import annotations

import contextlib
import logging
import re

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api._request_body import buffer_body
from api.auth import api_key_of
from api.errors import problem, problem_for
from core.errors import TickertoneError
from services.deps import Deps
from services.idempotency import StoredResponse, abandon, begin, fingerprint, finish

log = logging.getLogger("api.idempotency")

HEADER = "idempotency-key"
# Printable ASCII without spaces, as Stripe allows (up to 255); a V4 UUID is the usual choice.
_VALID = re.compile(r"^[\x21-\x7e]{1,255}$")
# Per-request or per-connection headers that must not be replayed from the first response.
_DROP = frozenset({"content-length", "date", "server", "ratelimit", "ratelimit-policy", "retry-after"})


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        raw_key = next((v for k, v in scope["headers"] if k == HEADER.encode()), None)
        api_key = api_key_of(scope.get("state", {}))
        if raw_key is None or api_key is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        key = raw_key.decode("latin-1")
        if not _VALID.match(key):
            await problem(
                request,
                status=400,
                code="invalid_idempotency_key",
                detail="Idempotency-Key must be 1 to 255 printable ASCII characters without spaces",
            )(scope, receive, send)
            return
        deps: Deps = scope["state"]["deps"]
        try:
            body, receive = await buffer_body(scope, receive, limit=deps.settings.max_body_bytes)
            request_hash = fingerprint(
                method=scope["method"], path=scope["path"], query_string=scope["query_string"], body=body
            )
            outcome, stored = await begin(deps, api_key_id=api_key.id, key=key, request_hash=request_hash)
        except TickertoneError as exc:
            await problem_for(request, exc)(scope, receive, send)
            return
        if outcome == "mismatch":
            await problem(
                request,
                status=422,
                code="idempotency_key_reused",
                detail="this Idempotency-Key was used with a different request; use a new key",
            )(scope, receive, send)
            return
        if outcome == "in_flight":
            await problem(
                request,
                status=409,
                code="idempotency_key_in_use",
                detail="a request with this Idempotency-Key is still being processed; retry shortly",
                headers={"Retry-After": "1"},
            )(scope, receive, send)
            return
        if outcome == "replay" and stored is not None:
            await _replay(stored, send)
            return
        await self._run(scope, receive, send, deps=deps, api_key_id=api_key.id, key=key)

    async def _run(
        self, scope: Scope, receive: Receive, send: Send, *, deps: Deps, api_key_id: int, key: str
    ) -> None:
        status = 500
        headers: list[list[str]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers.extend(
                    [k.decode("latin-1"), v.decode("latin-1")]
                    for k, v in message.get("headers", [])
                    if k.decode("latin-1").lower() not in _DROP
                )
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            # The client may retry with the same key: nothing was decided.
            with contextlib.suppress(TickertoneError):
                await abandon(deps, api_key_id=api_key_id, key=key)
            raise
        try:
            await finish(
                deps,
                api_key_id=api_key_id,
                key=key,
                response=StoredResponse(status, headers, b"".join(chunks)),
            )
        except TickertoneError as exc:
            # The response is already sent; the in-flight record goes stale and is taken over later.
            log.warning("idempotency record not stored: %s", exc.code)


async def _replay(stored: StoredResponse, send: Send) -> None:
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored.headers]
    raw.append((b"content-length", str(len(stored.body)).encode()))
    raw.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": stored.status, "headers": raw})
    await send({"type": "http.response.body", "body": stored.body, "more_body": False})
