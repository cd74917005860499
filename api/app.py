"""Assembles the ASGI app from explicit lists: routes, middleware, exception handlers, lifespan."""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import cast

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from api import articles, docs, events, health, meta, tickers
from api._state import State
from api.errors import EXCEPTION_HANDLERS
from api.middleware import CatchAllMiddleware, ContentLengthLimitMiddleware
from core.settings import Settings
from services.deps import open_deps

log = logging.getLogger("api")


def graphql_routes(settings: Settings) -> list[BaseRoute]:
    """``/graphql`` from ``schema.view`` once the GraphQL package provides it; none until then."""
    # Imported by name so the app (and mypy) work before schema/view.py exists.
    try:
        module = importlib.import_module("schema.view")
    except ModuleNotFoundError as exc:
        if exc.name not in ("schema", "schema.view"):
            raise
        log.info("schema.view is not there yet: /graphql is not mounted")
        return []
    factory = cast(Callable[[Settings], list[BaseRoute]], module.graphql_routes)
    return factory(settings)


def routes(settings: Settings) -> list[BaseRoute]:
    return [
        *health.routes(),
        *articles.routes(),
        *tickers.routes(),
        *events.routes(),
        *meta.routes(),
        *docs.routes(),
        *graphql_routes(settings),
    ]


def middleware(settings: Settings) -> list[Middleware]:
    # Outermost first. Later issues add, between the guards and the router: authentication and
    # rate limits (issue 6), then the read-through response cache with ETags (issue 5).
    return [
        Middleware(CatchAllMiddleware),
        Middleware(ContentLengthLimitMiddleware, max_body_size=settings.max_body_bytes),
    ]


def lifespan(settings: Settings) -> Callable[[Starlette], contextlib.AbstractAsyncContextManager[State]]:
    @contextlib.asynccontextmanager
    async def run(app: Starlette) -> AsyncIterator[State]:
        async with open_deps(settings) as deps:
            yield {"deps": deps}

    return run


def create_app(settings: Settings) -> Starlette:
    return Starlette(
        debug=False,  # tracebacks never reach clients, even in development
        routes=routes(settings),
        middleware=middleware(settings),
        exception_handlers=dict(EXCEPTION_HANDLERS),
        lifespan=lifespan(settings),
        max_body_size=settings.max_body_bytes,
    )


def app_factory() -> Starlette:
    """Entry point for ``uvicorn --factory``: settings are read from the environment here, per process."""
    return create_app(Settings())
