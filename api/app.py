"""Assembles the ASGI app from explicit lists: routes, middleware, exception handlers, lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from api import admin, articles, caching, docs, events, feed, health, meta, score, tickers
from api._state import State
from api.auth import AuthMiddleware
from api.deadline import DeadlineMiddleware
from api.errors import EXCEPTION_HANDLERS
from api.hits import HitMiddleware
from api.idempotency import IdempotencyMiddleware
from api.middleware import BodyLimitMiddleware, CatchAllMiddleware
from api.ratelimits import RateLimitMiddleware
from core.settings import Settings
from schema.app import build_schema
from schema.view import GraphQLView, graphql_routes, graphql_view
from services.deps import open_deps
from services.invalidation import follow_lost_bumps
from services.score_text import TextScorerFactory, install_text_scorer


def routes(settings: Settings, view: GraphQLView) -> list[BaseRoute]:
    return [
        # First: the router tries routes in order, and /graphql takes most of the traffic.
        *graphql_routes(settings, view),
        *health.routes(),
        *articles.routes(),
        *tickers.routes(),
        *events.routes(),
        *meta.routes(),
        *feed.routes(),
        *score.routes(),
        *admin.routes(),
        *docs.routes(),
    ]


def middleware(settings: Settings, reads: caching.GraphQLReads) -> list[Middleware]:
    # Outermost first (below Starlette's own error middleware; the hit path goes before even that).
    return [
        Middleware(CatchAllMiddleware),
        # Issue 5: a stalled backing service costs a request ~2 s and a 503, never a hang.
        Middleware(DeadlineMiddleware, timeout_s=settings.request_timeout_s),
        Middleware(BodyLimitMiddleware, max_body_size=settings.max_body_bytes),
        # Issue 6: who is calling (401/403), how much they may (429), and safe POST retries.
        Middleware(AuthMiddleware),
        Middleware(RateLimitMiddleware),
        Middleware(IdempotencyMiddleware),
        # Issue 5: read-through response cache (REST ETag/304, GraphQL by operation) and GraphQL front.
        *caching.middleware(reads),
    ]


def tune_gc() -> None:
    """Collect cycles less often in a serving process: ~8% of a cache hit's CPU went to collections.

    Everything alive at startup (modules, the schema, compiled plans) is moved out of the collector's
    sight (``gc.freeze``), and the youngest generation is collected every 20,000 net allocations instead
    of 700; request objects are freed by reference counting long before that.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


def lifespan(
    settings: Settings, *, scorer_factory: TextScorerFactory | None = None, serving: bool = False
) -> Callable[[Starlette], contextlib.AbstractAsyncContextManager[State]]:
    @contextlib.asynccontextmanager
    async def run(app: Starlette) -> AsyncIterator[State]:
        async with open_deps(settings) as deps:
            # POST /v1/score answers 503 in a process started without a scorer (see tickertone_app.py).
            engine = install_text_scorer(deps, scorer_factory) if scorer_factory is not None else None
            if serving:
                tune_gc()
            stopping = asyncio.Event()
            # A writer that lost a cache bump says so over Postgres; this process then heals the cache.
            follower = asyncio.create_task(follow_lost_bumps(deps, stopping=stopping), name="lost-bumps")
            try:
                yield {"deps": deps}
            finally:
                stopping.set()
                follower.cancel()  # it may be waiting on a connect to a Postgres that is down
                with contextlib.suppress(asyncio.CancelledError):
                    await follower
                if engine is not None:
                    engine.close()

    return run


def create_app(
    settings: Settings, *, scorer_factory: TextScorerFactory | None = None, serving: bool = False
) -> Starlette:
    """``scorer_factory`` injects the scoring engine, which ``api`` may not import (composition root).
    ``serving``: this process exists to serve the app (``app_factory``), so it may tune the process
    (``tune_gc``); tests and tools that build apps in their own process leave it off."""
    # One view: its compiled path also answers uncached reads in front of the stack (api.hits), and its
    # schema is the one the GraphQL front checks limits and cost against.
    schema = build_schema(settings)
    view = graphql_view(settings, schema)
    reads = caching.GraphQLReads(settings, schema=schema._schema)
    return TickertoneApp(
        hits=lambda stack: HitMiddleware(
            stack, reads=reads, compiled=view, timeout_s=settings.request_timeout_s
        ),
        debug=False,  # tracebacks never reach clients, even in development
        routes=routes(settings, view),
        middleware=middleware(settings, reads),
        exception_handlers=dict(EXCEPTION_HANDLERS),
        lifespan=lifespan(settings, scorer_factory=scorer_factory, serving=serving),
    )


class TickertoneApp(Starlette):
    """Starlette with the hit path (``api.hits``) in front of its whole middleware stack.

    Issue 5: a cached read is answered with the checks of the layers below but without passing through
    them, Starlette's error middleware included (the hit path has its own catch-all); everything else,
    lifespan included, goes on to the stack unchanged.
    """

    def __init__(self, *, hits: Callable[[ASGIApp], ASGIApp], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._hits = hits
        self._entry: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        entry = self._entry
        if entry is None:
            if self.middleware_stack is None:
                self.middleware_stack = self.build_middleware_stack()
            entry = self._entry = self._hits(self.middleware_stack)
        await entry(scope, receive, send)


def app_factory() -> Starlette:
    """Entry point for ``uvicorn --factory``: settings are read from the environment here, per process."""
    return create_app(Settings(), serving=True)
