"""Shared plumbing of the operator commands (`python -m api keys|operations ...`)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from core.errors import TickertoneError
from core.settings import Settings


def run_action(args: argparse.Namespace) -> int:
    """Run the chosen subcommand's coroutine; a refusal is one line on stderr and exit code 2."""
    try:
        code: int = asyncio.run(args.action(Settings(), args))
    except TickertoneError as exc:
        print(f"{args.command} {args.subcommand}: {exc.message}", file=sys.stderr)
        return 2
    return code
