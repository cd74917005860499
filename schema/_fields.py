"""Typed spellings of ``strawberry.field``/``strawberry.mutation`` for resolvers with a description.

Strawberry's overload for ``@field(description=...)`` returns ``Any``, which ``mypy --strict``
rejects as an untyped decorator; these keep the decorated resolver's own signature visible to mypy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import strawberry

F = TypeVar("F", bound=Callable[..., Any])


def field(*, description: str) -> Callable[[F], F]:
    return cast(Callable[[F], F], strawberry.field(description=description))


def mutation(*, description: str) -> Callable[[F], F]:
    return cast(Callable[[F], F], strawberry.mutation(description=description))
