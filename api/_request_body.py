"""Read an ASGI request body once, bounded, and hand the next app a ``receive`` that replays it.

Authentication (GraphQL scopes), rate limits (GraphQL cost) and idempotency (request hash) all need
the body before the endpoint runs; the first to ask buffers it in the scope and the rest reuse it.
"""

from __future__ import annotations

from starlette.types import Message, Receive, Scope

from core.errors import PayloadTooLarge

_BODY = "tickertone.body"


async def buffer_body(scope: Scope, receive: Receive, *, limit: int) -> tuple[bytes, Receive]:
    """The whole body and a replaying ``receive``; ``PayloadTooLarge`` past ``limit`` bytes."""
    cached = scope.get(_BODY)
    if isinstance(cached, bytes):
        return cached, replay(cached, receive)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body is limited to {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    remember_body(scope, body)
    return body, replay(body, receive)


def remember_body(scope: Scope, body: bytes) -> None:
    """Record a body read elsewhere, so ``buffer_body`` below hands it out again."""
    scope[_BODY] = body


def replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        # After the body, wait for the real disconnect, as Starlette's streaming responses expect.
        return await receive()

    return replay
