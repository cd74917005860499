"""The circuit breaker's state machine, on a fake clock: open after N failures, one probe in half-open."""

from __future__ import annotations

import asyncio

import pytest

from cache.breaker import BreakerOpen, BreakerSettings, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def ok() -> str:
    return "ok"


async def refused() -> str:
    raise ConnectionRefusedError("refused")


async def hangs() -> str:
    await asyncio.sleep(10)
    return "late"


def state(breaker: CircuitBreaker) -> str:
    # A plain str, so mypy does not narrow the property between calls that change it.
    return breaker.state


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def breaker(clock: Clock) -> CircuitBreaker:
    return CircuitBreaker(
        BreakerSettings(failure_threshold=3, call_timeout_s=0.02, cooldown_s=0.5), clock=clock
    )


async def test_opens_after_consecutive_failures(breaker: CircuitBreaker) -> None:
    for _ in range(3):
        with pytest.raises(ConnectionRefusedError):
            await breaker.call(refused)
    assert state(breaker) == "open"
    with pytest.raises(BreakerOpen):
        await breaker.call(ok)


async def test_success_resets_the_count(breaker: CircuitBreaker) -> None:
    for _ in range(2):
        with pytest.raises(ConnectionRefusedError):
            await breaker.call(refused)
    assert await breaker.call(ok) == "ok"
    for _ in range(2):
        with pytest.raises(ConnectionRefusedError):
            await breaker.call(refused)
    assert state(breaker) == "closed"


async def test_slow_calls_count_as_failures(breaker: CircuitBreaker) -> None:
    for _ in range(3):
        with pytest.raises(TimeoutError):
            await breaker.call(hangs)
    assert state(breaker) == "open"


async def test_half_open_lets_one_probe_through(breaker: CircuitBreaker, clock: Clock) -> None:
    for _ in range(3):
        with pytest.raises(ConnectionRefusedError):
            await breaker.call(refused)
    clock.now = 0.6
    assert state(breaker) == "half_open"
    gate = asyncio.Event()

    async def slow_ok() -> str:
        await gate.wait()
        return "ok"

    probe = asyncio.create_task(breaker.call(slow_ok))
    await asyncio.sleep(0)
    assert not breaker.allows()
    with pytest.raises(BreakerOpen):
        await breaker.call(ok)
    gate.set()
    assert await probe == "ok"
    assert state(breaker) == "closed"


async def test_failed_probe_reopens_for_another_cooldown(breaker: CircuitBreaker, clock: Clock) -> None:
    for _ in range(3):
        with pytest.raises(ConnectionRefusedError):
            await breaker.call(refused)
    clock.now = 0.6
    with pytest.raises(ConnectionRefusedError):
        await breaker.call(refused)
    assert state(breaker) == "open"
    clock.now = 1.0
    assert state(breaker) == "open"
    clock.now = 1.2
    assert await breaker.call(ok) == "ok"
    assert state(breaker) == "closed"


async def test_background_probe_closes_without_a_caller_waiting(clock: Clock) -> None:
    pinged = asyncio.Event()

    async def ping() -> bool:
        pinged.set()
        return True

    breaker = CircuitBreaker(BreakerSettings(failure_threshold=1, cooldown_s=0.5), clock=clock, probe=ping)
    with pytest.raises(ConnectionRefusedError):
        await breaker.call(refused)
    clock.now = 0.6
    with pytest.raises(BreakerOpen):  # the caller bypasses; the probe runs on its own
        await breaker.call(ok)
    await asyncio.wait_for(pinged.wait(), 1)
    await asyncio.sleep(0)
    assert state(breaker) == "closed"
    assert await breaker.call(ok) == "ok"
