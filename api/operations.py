"""``python -m api operations register|list``: the trusted persisted GraphQL documents that keys created
with ``--persisted-only`` may run (one document per file; it is identified by the sha256 of its text)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from api._admin_cli import run_action
from core.errors import InvalidInput
from core.settings import Settings
from services.deps import open_deps
from services.operations import list_trusted, register_trusted


def _read(files: list[str]) -> list[tuple[str, str | None]]:
    documents: list[tuple[str, str | None]] = []
    for path in files:
        try:
            documents.append((Path(path).read_text(encoding="utf-8"), Path(path).stem))
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"{path}: {exc}") from exc
    return documents


async def _register(settings: Settings, args: argparse.Namespace) -> int:
    documents = await asyncio.to_thread(_read, args.files)
    async with open_deps(settings, min_size=1, max_size=1) as deps:
        stored = await register_trusted(deps, documents=documents)
    for op in stored:
        # The hash first, so scripts can take the first column: clients send it as
        # extensions.persistedQuery.sha256Hash.
        print(f"{op.sha256}  {op.name or ''}")
    return 0


async def _list(settings: Settings, args: argparse.Namespace) -> int:
    async with open_deps(settings, min_size=1, max_size=1) as deps:
        for op in await list_trusted(deps):
            print(f"{op.sha256}  {op.name or ''}  {op.created_at:%Y-%m-%d %H:%M}")
    return 0


def add_operations(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ops = subparsers.add_parser("operations", help="register and list trusted persisted GraphQL documents")
    actions = ops.add_subparsers(dest="subcommand", required=True)
    register = actions.add_parser("register", help="register .graphql files (all or none); prints hashes")
    register.add_argument("files", nargs="+", help="one GraphQL document per file")
    register.set_defaults(handler=run_action, action=_register)
    listing = actions.add_parser("list", help="list trusted documents (hash, name, registered at)")
    listing.set_defaults(handler=run_action, action=_list)
