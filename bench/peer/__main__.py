"""``python -m bench.peer``: our reads against PostGraphile v4 and a bare Starlette ceiling, one run.

Starts every server on 127.0.0.1 (ours twice: response cache on and off; PostGraphile from
``bench/peer/node_modules``; ``bench/peer/bare.py``), checks each answers every query without errors,
then runs ``wrk`` at 4 connections for each (query, target), rotating the target order every round so
drift on a shared machine spreads over all of them. Prints a markdown table (req/s, p50, p99, ratio to
PostGraphile) and writes it to ``bench/results/``. Loads only 127.0.0.1; bounded by ``--seconds``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from core.settings import Settings
from db.pool import create_pool
from services.deps import Deps
from services.keys import create_key

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
FIELDS = (
    "id title publishedAt sentiment { score label } tickers { symbol relevance sentiment { score label } }"
)
PG_FIELDS = (
    "id title publishedAt sentimentScore sentimentLabel"
    " articleTickersByArticleId { nodes { symbol relevance score label } }"
)


@dataclass(frozen=True, slots=True)
class Query:
    name: str
    title: str
    ours: dict[str, object]
    peer: dict[str, object]
    rest: str


def queries(article_id: int, symbol: str, start: str, end: str) -> list[Query]:
    return [
        Query(
            "Q1",
            "latest 20 articles with tickers and sentiment",
            {"query": f"{{ articles(first: 20) {{ edges {{ node {{ {FIELDS} }} }} }} }}"},
            {
                "query": "{ allArticles(first: 20, orderBy: PUBLISHED_AT_DESC)"
                f" {{ nodes {{ {PG_FIELDS} }} }} }}"
            },
            "/v1/articles?limit=20",
        ),
        Query(
            "Q2",
            "one article by id",
            {
                "query": f"query($id: ID!) {{ article(id: $id) {{ {FIELDS} }} }}",
                "variables": {"id": str(article_id)},
            },
            {
                "query": f"query($id: BigInt!) {{ articleById(id: $id) {{ {PG_FIELDS} }} }}",
                "variables": {"id": str(article_id)},
            },
            f"/v1/articles/{article_id}",
        ),
        Query(
            "Q3",
            f"{symbol}'s articles in a date range, first 50",
            {
                "query": "query($t: [String!], $from: DateTime, $to: DateTime) {"
                f" articles(first: 50, filter: {{tickersAny: $t, from: $from, to: $to}})"
                f" {{ edges {{ node {{ {FIELDS} }} }} }} }}",
                "variables": {"t": [symbol], "from": start, "to": end},
            },
            {
                "query": "query($s: String!, $from: Datetime!, $to: Datetime!) {"
                " tickerArticles(sym: $s, fromTs: $from, toTs: $to, first: 50)"
                f" {{ nodes {{ {PG_FIELDS} }} }} }}",
                "variables": {"s": symbol, "from": start, "to": end},
            },
            f"/v1/articles?tickers={symbol}&from={start}&to={end}&limit=50",
        ),
    ]


@dataclass(slots=True)
class Target:
    name: str
    port: int
    kind: str  # ours-graphql | ours-rest | peer | bare
    app: str = "bench.peer.bare:app"
    proc: subprocess.Popen[bytes] | None = None


@dataclass(slots=True)
class Result:
    query: str
    target: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    size: int = 0
    notes: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _uvicorn(
    app: str, port: int, env: dict[str, str], *, factory: bool, workers: int
) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    args += ["--workers", str(workers)]
    args += ["--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]
    if factory:
        args.append("--factory")
    return subprocess.Popen(args, cwd=ROOT, env=env)


def _wait(port: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def _request(target: Target, query: Query, key: str) -> tuple[str, bytes | None, dict[str, str]]:
    headers = {"Content-Type": "application/json", "X-API-Key": key}
    if target.kind == "ours-graphql":
        return "POST", json.dumps(query.ours).encode(), headers
    if target.kind == "peer":
        return "POST", json.dumps(query.peer).encode(), {"Content-Type": "application/json"}
    if target.kind == "ours-rest":
        return "GET", None, {"X-API-Key": key}
    return "GET", None, {}


def _path(target: Target, query: Query) -> str:
    return {"ours-graphql": "/graphql", "peer": "/graphql", "ours-rest": query.rest, "bare": "/"}[target.kind]


def check(target: Target, query: Query, key: str) -> int:
    method, body, headers = _request(target, query, key)
    req = urllib.request.Request(
        f"http://127.0.0.1:{target.port}{_path(target, query)}", data=body, headers=headers, method=method
    )
    with urllib.request.urlopen(req, timeout=10) as response:
        payload = response.read()
    if target.kind in ("ours-graphql", "peer"):
        decoded = json.loads(payload)
        if decoded.get("errors") or not decoded.get("data"):
            raise RuntimeError(f"{target.name} {query.name}: {payload[:300]!r}")
    return len(payload)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s)", text)
    if match is None:
        return float("nan")
    return float(match.group(1)) * _UNITS[match.group(2)]


def run_wrk(target: Target, query: Query, key: str, *, seconds: float, connections: int, tmp: Path) -> Result:
    method, body, headers = _request(target, query, key)
    script = tmp / f"{target.name}-{query.name}.lua"
    lines = [f'wrk.method = "{method}"']
    if body is not None:
        lines.append(f"wrk.body = {json.dumps(body.decode())}")
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    script.write_text("\n".join(lines) + "\n")
    url = f"http://127.0.0.1:{target.port}{_path(target, query)}"
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    errors_match = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    result = Result(query.name, target.name, rps, p50, p99, int(errors_match.group(1)) if errors_match else 0)
    if socket_errors:
        result.notes.append(socket_errors.group(1))
    return result


async def prepare(dsn: str, redis_url: str) -> tuple[str, int, str]:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute((HERE / "peer.sql").read_text())
        article_id = await conn.fetchval("select id from articles order by id offset 49999 limit 1")
        symbol = await conn.fetchval(
            "select symbol from article_tickers group by symbol order by count(*) desc offset 2 limit 1"
        )
    finally:
        await conn.close()
    settings = Settings.model_validate({"DATABASE_URL": dsn, "REDIS_URL": redis_url})
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        issued = await create_key(
            Deps(settings=settings, pool=pool), name="bench.peer", scopes=["read"], rate_per_min=1_000_000
        )
    finally:
        await pool.close()
    return issued.secret, int(article_id), str(symbol)


@contextmanager
def servers(targets: Sequence[Target], dsn: str, redis_url: str, *, workers: int) -> Iterator[None]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "RESPONSE_"))}
    base |= {
        "DATABASE_URL": dsn,
        "REDIS_URL": redis_url,
        "TICKERTONE_ENV": "production",
        "LOG_LEVEL": "WARNING",
    }
    try:
        for target in targets:
            if target.kind == "bare":
                target.proc = _uvicorn(target.app, target.port, base, factory=False, workers=workers)
            elif target.kind == "peer":
                target.proc = subprocess.Popen(
                    [
                        str(HERE / "node_modules" / ".bin" / "postgraphile"),
                        "--connection",
                        dsn,
                        "--schema",
                        "public,peer",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(target.port),
                        "--disable-query-log",
                        "--disable-graphiql",
                        *(["--cluster-workers", str(workers)] if workers > 1 else []),
                    ],
                    cwd=HERE,
                    stdout=subprocess.DEVNULL,
                    env=base | {"NODE_ENV": "production"},
                )
            else:
                cache = "true" if target.name.endswith("cache on") else "false"
                target.proc = _uvicorn(
                    "api.app:app_factory",
                    target.port,
                    base | {"RESPONSE_CACHE": cache},
                    factory=True,
                    workers=workers,
                )
        for target in targets:
            _wait(target.port)
        yield
    finally:
        for target in targets:
            if target.proc is not None:
                target.proc.terminate()
        for target in targets:
            if target.proc is not None:
                try:
                    target.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    target.proc.kill()


def render(results: list[Result], queries_: list[Query], meta: str) -> str:
    lines = [
        meta,
        "",
        "| query | server | req/s | p50 ms | p99 ms | vs PostGraphile | non-2xx |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for query in queries_:
        rows = [r for r in results if r.query == query.name]
        names = list(dict.fromkeys(r.target for r in rows))
        peer = [r.rps for r in rows if r.target == "PostGraphile v4"]
        peer_rps = sum(peer) / len(peer) if peer else float("nan")
        for name in names:
            mine = [r for r in rows if r.target == name]
            rps = sum(r.rps for r in mine) / len(mine)
            p50 = sum(r.p50_ms for r in mine) / len(mine)
            p99 = max(r.p99_ms for r in mine)
            errors = sum(r.errors for r in mine)
            lines.append(
                f"| {query.name} {query.title} | {name} | {rps:,.0f} | {p50:.2f} | {p99:.2f} |"
                f" {rps / peer_rps:.2f}x | {errors} |"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.peer", description=__doc__)
    parser.add_argument(
        "--dsn", default=os.environ.get("BENCH_DSN", "postgresql://postgres@127.0.0.1:5432/tt_bench")
    )
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/11"))
    parser.add_argument("--seconds", type=float, default=8.0, help="wrk duration per (query, server, round)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--only", default="", help="comma-separated query names, e.g. Q1,Q2")
    parser.add_argument("--workers", type=int, default=1, help="processes per server (all servers alike)")
    args = parser.parse_args(argv)

    key, article_id, symbol = asyncio.run(prepare(args.dsn, args.redis))
    qs = queries(article_id, symbol, "2026-10-01T00:00:00Z", "2026-10-15T00:00:00Z")
    if args.only:
        qs = [q for q in qs if q.name in args.only.split(",")]
    targets = [
        Target("ours GraphQL, cache on", free_port(), "ours-graphql"),
        Target("ours GraphQL, cache off", free_port(), "ours-graphql"),
        Target("ours REST, cache on", free_port(), "ours-rest"),
        Target("ours REST, cache off", free_port(), "ours-rest"),
        Target("PostGraphile v4", free_port(), "peer"),
        Target("bare Starlette 2 KB", free_port(), "bare"),
        Target("bare Starlette 2 KB + 1 Redis trip", free_port(), "bare", app="bench.peer.bare:redis_app"),
    ]
    # The two "ours" servers per protocol share a process each: cache on / cache off.
    on, off = free_port(), free_port()
    for target in targets:
        if target.kind.startswith("ours"):
            target.port = on if target.name.endswith("cache on") else off
    processes = [t for t in targets if t.kind != "ours-rest"]  # REST is served by the GraphQL processes
    results: list[Result] = []
    with servers(processes, args.dsn, args.redis, workers=args.workers), tempfile.TemporaryDirectory() as tmp:
        sizes = {(t.name, q.name): check(t, q, key) for t in targets for q in qs}
        for t in targets:  # warm-up: JIT, pools, caches
            for q in qs:
                run_wrk(t, q, key, seconds=1, connections=args.connections, tmp=Path(tmp))
        for round_ in range(args.rounds):
            for q in qs:
                order = targets[round_ % len(targets) :] + targets[: round_ % len(targets)]
                for t in order:
                    result = run_wrk(
                        t, q, key, seconds=args.seconds, connections=args.connections, tmp=Path(tmp)
                    )
                    result.size = sizes[(t.name, q.name)]
                    results.append(result)
                    print(
                        f"{q.name} {t.name}: {result.rps:,.0f} req/s"
                        f" p50 {result.p50_ms:.2f} ms p99 {result.p99_ms:.2f} ms",
                        file=sys.stderr,
                    )
    load = os.getloadavg()
    meta = (
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores, {args.workers} process(es)"
        f" per server, wrk -t1 -c{args.connections}"
        f" -d{int(args.seconds)}s x {args.rounds} round(s), load average after the run {load[0]:.1f};"
        f" Q2 id {article_id}, Q3 {symbol} 2026-10-01..2026-10-15. Response bytes: "
        + ", ".join(
            f"{q}/{t.split(',')[0]}={n}" for (t, q), n in sorted(sizes.items()) if "cache off" not in t
        )
    )
    table = render(results, qs, meta)
    print(table)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"peer-{datetime.now(UTC):%Y%m%dT%H%M}.md").write_text(table + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
