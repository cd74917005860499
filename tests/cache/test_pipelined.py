"""The hot path's pipelined Redis client against a real Redis: ordering, scripts, failures, recovery."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from cache.pipelined import Endpoint, PipelinedRedis, connect_url
from tests.conftest import free_port


@pytest_asyncio.fixture
async def fast(redis_url: str) -> AsyncIterator[PipelinedRedis]:
    client = connect_url(redis_url)
    assert client is not None
    yield client
    await client.aclose()


@pytest_asyncio.fixture
async def plain(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


def _key() -> str:
    return f"tt-test:pipelined:{uuid.uuid4().hex}"


async def test_concurrent_callers_each_get_their_own_reply(fast: PipelinedRedis, plain: Redis) -> None:
    keys = [_key() for _ in range(500)]
    await plain.mset({k: f"value-{i}" for i, k in enumerate(keys)})
    replies = await asyncio.gather(*(fast.execute("GET", k) for k in keys))
    assert replies == [f"value-{i}".encode() for i in range(len(keys))]
    await plain.delete(*keys)


async def test_it_talks_to_the_database_index_of_the_url(fast: PipelinedRedis, plain: Redis) -> None:
    key = _key()
    await fast.execute("SET", key, "here")
    assert await plain.get(key) == b"here"  # same db index as redis-py's client of the same URL
    await plain.delete(key)


async def test_a_script_survives_a_flushed_script_cache(fast: PipelinedRedis, plain: Redis) -> None:
    script = fast.register_script("return {KEYS[1], ARGV[1], 7}")
    assert await script(keys=["k"], args=["a"]) == [b"k", b"a", 7]
    await plain.script_flush()  # what a restarted Redis looks like to a client
    assert await script(keys=["k2"], args=[1.5]) == [b"k2", b"1.5", 7]


async def test_an_error_reply_is_a_response_error_and_the_connection_goes_on(
    fast: PipelinedRedis,
) -> None:
    with pytest.raises(ResponseError):
        await fast.execute("NOSUCHCOMMAND")
    assert await fast.execute("PING") == b"PONG"


async def test_a_killed_connection_fails_its_callers_then_reconnects(
    fast: PipelinedRedis, plain: Redis
) -> None:
    name = f"tt-test-{uuid.uuid4().hex[:8]}"
    await fast.execute("CLIENT", "SETNAME", name)
    blocked = asyncio.ensure_future(fast.execute("BLPOP", _key(), 5))
    await asyncio.sleep(0.05)
    clients = await plain.client_list()
    (victim,) = [c for c in clients if c.get("name") == name]
    await plain.client_kill_filter(_id=victim["id"])
    with pytest.raises(RedisConnectionError):
        await asyncio.wait_for(blocked, 2)
    assert await fast.execute("PING") == b"PONG"


async def test_an_abandoned_call_aborts_the_connection_so_replies_never_shift(
    fast: PipelinedRedis, plain: Redis
) -> None:
    key = _key()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await fast.execute("BLPOP", key, 1)  # its reply would come after the next command's
    await plain.rpush(key, "late")  # a late reply to the abandoned BLPOP must not reach anyone
    assert await fast.execute("PING") == b"PONG"
    assert await fast.execute("LRANGE", key, 0, -1) == [b"late"]
    await plain.delete(key)


async def test_nothing_listening_is_an_os_error() -> None:
    client = PipelinedRedis(Endpoint(port=free_port()))
    with pytest.raises(OSError):
        await client.execute("PING")


def test_tls_urls_are_left_to_redis_py() -> None:
    assert connect_url("rediss://127.0.0.1:6380/0") is None
    unix = connect_url("unix:///tmp/redis.sock?db=3")
    assert unix is not None


async def test_a_silent_redis_times_out_every_waiting_caller() -> None:
    handlers: list[asyncio.Task[None]] = []

    async def say_nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(1 << 16):  # until the client hangs up
            pass
        writer.close()

    def accept_and_say_nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.append(asyncio.ensure_future(say_nothing(reader, writer)))

    server = await asyncio.start_server(accept_and_say_nothing, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = PipelinedRedis(Endpoint(port=port), timeout_s=0.1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    results = await asyncio.gather(*(client.execute("PING") for _ in range(5)), return_exceptions=True)
    elapsed = loop.time() - started
    assert all(isinstance(r, TimeoutError) for r in results), results
    assert elapsed < 1.0  # one watchdog for all, not a hang
    await client.aclose()
    await asyncio.gather(*handlers)
    server.close()
    await server.wait_closed()
