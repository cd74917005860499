"""``python -m api <command>``: ``serve`` runs uvicorn; other commands register themselves in ``COMMANDS``."""

from __future__ import annotations

import argparse
import copy
from collections.abc import Callable, Sequence
from typing import Any, Final

import uvicorn
import uvicorn.config

from api.cache_commands import add_cache
from api.keys import add_keys
from api.operations import add_operations
from core.settings import Settings

# Each adds one subcommand to the parser and sets ``handler`` (Namespace -> exit status) on it.
Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging, with ``RedactKeys`` on every handler and the app's own loggers routed through it.

    A key a client put in the URL (refused with 401, but requested all the same) would otherwise be
    printed by the access log, and app records would reach stderr through logging's unfiltered fallback.
    """
    config: dict[str, Any] = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["filters"] = {"redact_keys": {"()": "api.auth.RedactKeys"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["redact_keys"]
    config["root"] = {"handlers": ["default"], "level": level.upper()}
    return config


def _serve(args: argparse.Namespace) -> int:
    settings = Settings()
    uvicorn.run(
        # The composition root (tickertone_app.py) passes its own factory, which adds the scorer.
        getattr(args, "app", "api.app:app_factory"),
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        log_level=settings.log_level.lower(),
        log_config=log_config(settings.log_level),
        # Keys and tokens can arrive in query strings by mistake; the access log would keep them.
        access_log=args.access_log,
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )
    return 0


def add_serve(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = subparsers.add_parser("serve", help="run the HTTP API (REST, GraphQL, docs, health)")
    serve.add_argument("--host", help="bind address (default: HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: PORT or 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default: 1)")
    serve.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=False)
    serve.set_defaults(handler=_serve)


COMMANDS: Final[list[Register]] = [add_serve, add_keys, add_operations, add_cache]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m api", description="Tickertone API")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for register in COMMANDS:
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)
