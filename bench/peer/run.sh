#!/usr/bin/env bash
# One command: our GraphQL and REST (cache on and off), PostGraphile v4 and a bare Starlette ceiling on
# 127.0.0.1, the same three queries, alternated, wrk at 4 connections. Pass-through args: see
# `python -m bench.peer --help` (e.g. --seconds 10 --rounds 2 --dsn postgresql://...).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
command -v wrk >/dev/null || { echo "wrk is required (apt-get install -y wrk)" >&2; exit 1; }
[ -x "$here/node_modules/.bin/postgraphile" ] || (cd "$here" && npm install --no-audit --no-fund)
cd "$root"
exec "${PYTHON:-.venv/bin/python}" -m bench.peer "$@"
