"""Batch-ingest throughput over REST: articles/s through ``POST /v1/articles`` with ``{"articles": [...]}``.

``python -m bench.ingest --url http://127.0.0.1:8000 --api-key KEY [--articles 5000] [--batch 100]
[--concurrency 4]`` against a running API (``make run`` prints a development key; the key needs the
``ingest`` scope). Articles are the seed and demo articles made unique per run, so every one is new.
Prints JSON (articles/s, request p50/p99) and a Markdown row for bench/README.md.

``python -m bench.ingest --throwaway [--port 0] [...]`` needs no running API: it creates a database on the
server in ``DATABASE_URL`` (migrated, the reference tickers of ``seeds/tickers.json``), issues a key with
``python -m api keys create``, starts ``python -m tickertone_app serve`` on it (``TICKERTONE_ENV=production``,
``REDIS_URL`` as set), measures, stops the server and drops the database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from db.scratch import scratch_database
from seeds.load import read_articles, read_tickers

ROOT = Path(__file__).resolve().parent.parent


def _payloads(n: int, batch: int) -> list[dict[str, object]]:
    base = read_articles()
    tag = uuid.uuid4().hex[:8]
    now = datetime.now(UTC) - timedelta(hours=1)
    articles = []
    for i in range(n):
        a = base[i % len(base)]
        record = a.model_dump(mode="json")
        record.update(
            source="bench-ingest",
            external_id=f"{tag}-{i}",
            url=None,
            title=f"{a.title} [{tag}-{i}]",
            published_at=(now - timedelta(minutes=i)).isoformat(),
        )
        articles.append({k: v for k, v in record.items() if v is not None})
    return [{"articles": articles[lo : lo + batch]} for lo in range(0, n, batch)]


async def run(args: argparse.Namespace) -> dict[str, object]:
    payloads = _payloads(args.articles, args.batch)
    headers = {"X-API-Key": args.api_key} if args.api_key else {}
    latencies: list[float] = []
    created = 0
    queue: asyncio.Queue[dict[str, object]] = asyncio.Queue()
    for p in payloads:
        queue.put_nowait(p)

    async with httpx.AsyncClient(base_url=args.url, headers=headers, timeout=60) as client:

        async def sender() -> None:
            nonlocal created
            while not queue.empty():
                payload = queue.get_nowait()
                t0 = time.perf_counter()
                response = await client.post("/v1/articles", json=payload)
                latencies.append(time.perf_counter() - t0)
                if response.status_code >= 400:
                    raise RuntimeError(f"POST /v1/articles -> {response.status_code}: {response.text[:300]}")
                created += len(payload["articles"])  # type: ignore[arg-type]

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(args.concurrency)))
        elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "articles": created,
        "batch": args.batch,
        "concurrency": args.concurrency,
        "seconds": round(elapsed, 2),
        "articles_per_s": round(created / elapsed, 1),
        "request_p50_ms": round(statistics.median(ordered) * 1000, 1),
        "request_p99_ms": round(ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000, 1),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def throwaway_api(port: int) -> AsyncIterator[tuple[str, str]]:
    """A migrated database with reference tickers, a key, and an API process on it: (url, key)."""
    server = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    async with scratch_database(server, "tt_bench_ingest", tickers=read_tickers()) as dsn:
        env = {**os.environ, "DATABASE_URL": dsn, "TICKERTONE_ENV": "production", "PYTHONPATH": str(ROOT)}
        proc: asyncio.subprocess.Process | None = None
        try:
            keys = await asyncio.create_subprocess_exec(
                sys.executable,
                *("-m", "api", "keys", "create", "--name", "bench", "--scopes", "ingest,read"),
                *("--rate", "100000/min"),
                cwd=ROOT,
                env=env,
                stdout=asyncio.subprocess.PIPE,
            )
            out, _ = await asyncio.wait_for(keys.communicate(), 60)
            if keys.returncode != 0:
                raise RuntimeError(f"keys create exited with {keys.returncode}")
            key = out.decode().strip().splitlines()[-1]
            port = port or _free_port()
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                *("-m", "tickertone_app", "serve", "--port", str(port)),
                cwd=ROOT,
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                start_new_session=True,
            )
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            async with httpx.AsyncClient(base_url=url) as client:
                while True:
                    if proc.returncode is not None:
                        raise RuntimeError(f"the API exited with {proc.returncode}")
                    with contextlib.suppress(httpx.TransportError):
                        if (await client.get("/readyz", timeout=1)).status_code == 200:
                            break
                    if time.monotonic() > deadline:
                        raise RuntimeError("the API did not become ready within 60 s")
                    await asyncio.sleep(0.2)
            yield url, key
        finally:
            if proc is not None and proc.returncode is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), 15)
                except TimeoutError:
                    os.killpg(proc.pid, signal.SIGKILL)
                    await proc.wait()


async def run_throwaway(args: argparse.Namespace) -> dict[str, object]:
    async with throwaway_api(args.port) as (url, key):
        args.url, args.api_key = url, key
        return await run(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument("--url", default=os.environ.get("TICKERTONE_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--api-key", default=os.environ.get("TICKERTONE_API_KEY"))
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--throwaway", action="store_true", help="start an API on a database made for the run (dropped after)"
    )
    parser.add_argument(
        "--port", type=int, default=0, help="--throwaway: the API's port (default: a free one)"
    )
    args = parser.parse_args(argv)
    result = asyncio.run(run_throwaway(args) if args.throwaway else run(args))
    print(json.dumps(result, indent=2))
    print(
        f"| {result['articles']} | {result['batch']} | {result['concurrency']} | {result['articles_per_s']}"
        f" | {result['request_p50_ms']} ms | {result['request_p99_ms']} ms |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
