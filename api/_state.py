"""What the lifespan hands to every request: ``request.state.deps``."""

from __future__ import annotations

from typing import TypedDict

from starlette.requests import Request

from services.deps import Deps


class State(TypedDict):
    deps: Deps


def deps_of(request: Request) -> Deps:
    deps: Deps = request.state.deps
    return deps
