"""``python -m api cache invalidate``: drop every cached response after a write that bypassed the API."""

from __future__ import annotations

import argparse

from api._admin_cli import run_action
from core.settings import Settings
from services.deps import open_deps
from services.reads_cache import invalidate_all


async def _invalidate(settings: Settings, args: argparse.Namespace) -> int:
    async with open_deps(settings, min_size=1, max_size=1) as deps:
        await invalidate_all(deps)
    print("every cached response is invalidated; the next reads come from Postgres")
    return 0


def add_cache(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cache = subparsers.add_parser("cache", help="manage the Redis response cache")
    actions = cache.add_subparsers(dest="subcommand", required=True)
    invalidate = actions.add_parser(
        "invalidate",
        help="make every cached response unreachable (after `python -m seeds load` or SQL by hand)",
    )
    invalidate.set_defaults(handler=run_action, action=_invalidate)
