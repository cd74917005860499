"""Batch-ingest throughput over REST: articles/s through ``POST /v1/articles`` with ``{"articles": [...]}``.

``python -m bench.ingest --url http://127.0.0.1:8000 --api-key KEY [--articles 5000] [--batch 100]
[--concurrency 4]`` against a running API (``make run`` prints a development key; the key needs the
``ingest`` scope). Articles are the seed and demo articles made unique per run, so every one is new.
Prints JSON (articles/s, request p50/p99) and a Markdown row for bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from seeds.load import read_articles


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument("--url", default=os.environ.get("TICKERTONE_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--api-key", default=os.environ.get("TICKERTONE_API_KEY"))
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    result = asyncio.run(run(parser.parse_args(argv)))
    print(json.dumps(result, indent=2))
    print(
        f"| {result['articles']} | {result['batch']} | {result['concurrency']} | {result['articles_per_s']}"
        f" | {result['request_p50_ms']} ms | {result['request_p99_ms']} ms |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
