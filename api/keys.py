"""``python -m api keys create|list|revoke``: manage partner API keys; a new key is printed once."""

from __future__ import annotations

import argparse
import sys

from api._admin_cli import run_action
from core.settings import Settings
from services.deps import open_deps
from services.keys import SCOPES, ApiKey, create_key, list_keys, parse_rate, revoke_key


def _describe(key: ApiKey) -> str:
    state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at is not None else "active"
    rate = f"{key.rate_per_min}/min" if key.rate_per_min is not None else "default rate"
    return f"{key.key_id}  {key.name!r}  scopes={','.join(sorted(key.scopes))}  {rate}  {state}"


async def _create(settings: Settings, args: argparse.Namespace) -> int:
    rate = parse_rate(args.rate) if args.rate else None
    async with open_deps(settings, min_size=1, max_size=1) as deps:
        issued = await create_key(
            deps,
            name=args.name,
            scopes=args.scopes.split(","),
            rate_per_min=rate,
            persisted_only=args.persisted_only,
        )
    print(f"created {_describe(issued.key)}", file=sys.stderr)
    print("store this key now; it cannot be shown again:", file=sys.stderr)
    # The key alone on stdout, so `KEY=$(python -m api keys create ...)` captures it.
    print(issued.secret)
    return 0


async def _list(settings: Settings, args: argparse.Namespace) -> int:
    async with open_deps(settings, min_size=1, max_size=1) as deps:
        keys = await list_keys(deps)
    for key in keys:
        print(_describe(key))
    return 0


async def _revoke(settings: Settings, args: argparse.Namespace) -> int:
    async with open_deps(settings, min_size=1, max_size=1) as deps:
        key = await revoke_key(deps, key_id=args.key_id)
    print(f"revoked {_describe(key)}")
    return 0


def add_keys(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = subparsers.add_parser("keys", help="create, list and revoke API keys")
    actions = keys.add_subparsers(dest="subcommand", required=True)
    create = actions.add_parser("create", help="issue a key and print it once")
    create.add_argument("--name", required=True, help="who the key is for")
    create.add_argument("--scopes", required=True, help=f"comma-separated subset of {','.join(SCOPES)}")
    create.add_argument("--rate", help="rate limit such as 600/min, 10/s or 1000/h (default: 600/min)")
    create.add_argument(
        "--persisted-only",
        action="store_true",
        help="GraphQL: allow only registered (persisted) documents, for first-party front-ends",
    )
    create.set_defaults(handler=run_action, action=_create)
    listing = actions.add_parser("list", help="list keys (ids, names, scopes; never secrets)")
    listing.set_defaults(handler=run_action, action=_list)
    revoke = actions.add_parser("revoke", help="revoke a key by its id (the 8 characters after 'tt_')")
    revoke.add_argument("key_id")
    revoke.set_defaults(handler=run_action, action=_revoke)
