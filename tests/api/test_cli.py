"""``python -m api``: subcommands parse, ``serve`` takes its defaults from the environment."""

from __future__ import annotations

import subprocess
import sys

import pytest

from api.cli import build_parser


def test_serve_arguments() -> None:
    args = build_parser().parse_args(["serve", "--port", "9001", "--workers", "2"])
    assert (args.command, args.port, args.workers, args.host) == ("serve", 9001, 2, None)
    assert callable(args.handler)


def test_a_command_is_required() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args([])


def test_module_help_lists_serve() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "api", "--help"], capture_output=True, text=True, timeout=30, check=True
    )
    assert "serve" in result.stdout
