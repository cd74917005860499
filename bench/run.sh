#!/usr/bin/env bash
# `make bench [BENCH_ARGS="<name> [options]"]`: one entry point for every benchmark; results and methods are
# in bench/README.md. Runs from the repository root with the project venv; DATABASE_URL / REDIS_URL come
# from `make bench` (scripts/devservices.py). Everything talks to 127.0.0.1 only.
#
#   reads    [--seconds 6 --rounds 2 ...]   ours (cache on/off, GraphQL and REST) vs PostGraphile v4 vs bare Starlette
#   generate [--articles 100000]            the 100,000-article corpus the reads benchmark uses (database tt_bench)
#   worker   [--burst 1000 --idle 30]       worker throughput and ingest-to-scored latency (throwaway database)
#   ingest   [--url ... --api-key ...]      batch ingest over REST against a running API
#   scoring  [--sentences 2000]             the scoring engine on one core
#   redis    [--calls 20000 --rounds 3]     CPU per hot-path Redis script call, redis-py vs the pipelined client
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/.."
python="${PYTHON:-.venv/bin/python}"
name="${1:-help}"
[ $# -gt 0 ] && shift
case "$name" in
  reads) exec bash bench/peer/run.sh "$@" ;;
  generate)
    # The reads benchmark expects its own database; create it on the resolved server unless told otherwise.
    if [ -z "${BENCH_DATABASE_URL:-}" ]; then
      BENCH_DATABASE_URL="$("$python" - <<'PY'
import os
from urllib.parse import urlsplit, urlunsplit
p = urlsplit(os.environ["DATABASE_URL"])
print(urlunsplit((p.scheme, p.netloc, "/tt_bench", p.query, "")))
PY
)"
      "$python" -c "import sys; sys.path.insert(0, 'scripts'); import devservices, os; devservices.ensure_database(os.environ['DATABASE_URL'], 'tt_bench')"
    fi
    DATABASE_URL="$BENCH_DATABASE_URL" exec "$python" -m bench.generate "$@" ;;
  worker | ingest | scoring) exec "$python" -m "bench.$name" "$@" ;;
  redis) exec "$python" -m bench.redis_client "$@" ;;
  help | -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) echo "bench/run.sh: unknown benchmark '$name' (reads, generate, worker, ingest, scoring, redis)" >&2; exit 2 ;;
esac
