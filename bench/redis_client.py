"""``python -m bench.redis_client``: CPU per hot-path script call, redis-py against the pipelined client.

The response cache's charge-and-lookup script (the call every cache hit makes) runs ``--calls`` times
from ``--concurrency`` coroutines through each client in turn, alternated over ``--rounds``, on one
uvloop event loop against the Redis in ``REDIS_URL`` (a db index of its own, keys under
``tt-bench:``, deleted afterwards). Reports process CPU and wall time per call.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import uvloop

from cache.pipelined import connect_url
from cache.responses import CHARGE_AND_LOOKUP
from cache.store import create_client

Call = Callable[[], Awaitable[Any]]


async def _measure(call: Call, *, calls: int, concurrency: int) -> tuple[float, float]:
    async def worker(n: int) -> None:
        for _ in range(n):
            await call()

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker(calls // concurrency) for _ in range(concurrency)))
    done = calls // concurrency * concurrency
    return (time.process_time() - cpu) / done * 1e6, (time.perf_counter() - wall) / done * 1e6


async def run(url: str, *, calls: int, concurrency: int, rounds: int) -> None:
    plain = create_client(url)
    fast = connect_url(url)
    if fast is None:
        raise SystemExit("the pipelined client does not speak this URL (TLS): nothing to compare")
    keys = ["tt-bench:rl:key", "tt-bench:gen"]
    args = [60.0, 1_000_000, 1, "tt-bench:resp:", ""]
    await plain.set("tt-bench:resp:0", b"x" * 2048)
    scripts = {
        "redis-py": plain.register_script(CHARGE_AND_LOOKUP),
        "pipelined": fast.register_script(CHARGE_AND_LOOKUP),
    }

    def caller(script: Any) -> Call:
        return lambda: script(keys=keys, args=args)

    clients = {name: caller(script) for name, script in scripts.items()}
    try:
        for call in clients.values():  # warm-up: connections, script cache
            await _measure(call, calls=200, concurrency=concurrency)
        for r in range(rounds):
            for name, call in clients.items():
                cpu, wall = await _measure(call, calls=calls, concurrency=concurrency)
                print(f"round {r + 1} {name:>9}: {cpu:6.1f} us CPU per call, {wall:6.1f} us wall per call")
    finally:
        await plain.delete("tt-bench:resp:0", *keys)
        await plain.aclose()
        await fast.aclose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    uvloop.run(run(url, calls=args.calls, concurrency=args.concurrency, rounds=args.rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
