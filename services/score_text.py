"""Bring-your-own-text scoring: run the scoring engine on a caller's text, synchronously, off the loop.

``services`` may not import ``scoring`` (the layer contract), so the engine comes in through a seam:
the process entry (the composition root, ``tickertone_app.py``) passes a ``TextScorerFactory`` and
``install_text_scorer`` keeps it on ``Deps``. The scorer is built on first use, from the reference
tickers in Postgres, because loading the model takes seconds that most processes never need.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Protocol

from core.errors import InvalidInput, PayloadTooLarge, Unavailable
from core.records import TickerRef, normalize_symbol
from db import tickers as db_tickers
from services.deps import Deps

log = logging.getLogger("services.score_text")

MAX_TEXT_BYTES = 20 * 1024
# Inference holds the GIL in numpy/onnx for tens of milliseconds; a small pool bounds CPU per process.
POOL_THREADS = 2
TIMEOUT_S = 10.0
_KEY = "text_scorer"


class TextScorer(Protocol):
    def analyze_text(self, *, title: str, body: str, tickers: tuple[str, ...]) -> Mapping[str, object]:
        """The Analysis of one text as JSON-ready data (model, sentiment, tickers, entities, events)."""
        ...


TextScorerFactory = Callable[[Sequence[TickerRef]], TextScorer]


class TextScoringEngine:
    """One per process: builds the scorer once, then runs it in a bounded thread pool."""

    def __init__(self, factory: TextScorerFactory, *, threads: int = POOL_THREADS) -> None:
        self._factory = factory
        self._scorer: TextScorer | None = None
        self._lock = asyncio.Lock()
        self._pool = concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix="score-text")

    async def scorer(self, deps: Deps) -> TextScorer:
        async with self._lock:
            if self._scorer is None:
                async with deps.connection() as conn:
                    refs = await db_tickers.list_ticker_refs(conn)
                loop = asyncio.get_running_loop()
                try:
                    self._scorer = await loop.run_in_executor(self._pool, self._factory, refs)
                except OSError as exc:  # the model artifact is missing or unreadable: not the client's fault
                    log.error("text scorer unavailable: %s", exc)
                    raise Unavailable(
                        "the scoring model is not available on this server", retry_after=60
                    ) from exc
            return self._scorer

    async def analyze(
        self, deps: Deps, *, title: str, body: str, tickers: tuple[str, ...]
    ) -> Mapping[str, object]:
        scorer = await self.scorer(deps)
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(
            self._pool, lambda: scorer.analyze_text(title=title, body=body, tickers=tickers)
        )
        try:
            return await asyncio.wait_for(future, TIMEOUT_S)
        except TimeoutError as exc:
            raise Unavailable("scoring took too long; try a shorter text", retry_after=5) from exc

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def install_text_scorer(deps: Deps, factory: TextScorerFactory) -> TextScoringEngine:
    engine = TextScoringEngine(factory)
    deps.extras[_KEY] = engine
    return engine


def _check(title: str, body: str, tickers: Sequence[str]) -> tuple[str, ...]:
    size = len(title.encode("utf-8")) + len(body.encode("utf-8"))
    if size > MAX_TEXT_BYTES:
        raise PayloadTooLarge(f"title and body are limited to {MAX_TEXT_BYTES} bytes of UTF-8; got {size}")
    if not body.strip():
        raise InvalidInput("body must not be empty", field="body")
    if "\x00" in title or "\x00" in body:
        raise InvalidInput("text must not contain NUL characters", field="body")
    if len(tickers) > 50:
        raise InvalidInput("at most 50 tickers", field="tickers")
    try:
        return tuple(dict.fromkeys(normalize_symbol(t) for t in tickers))
    except ValueError as exc:
        raise InvalidInput(str(exc), field="tickers") from exc


async def score_text(deps: Deps, *, title: str, body: str, tickers: Sequence[str] = ()) -> dict[str, object]:
    symbols = _check(title, body, tickers)
    engine = deps.extras.get(_KEY)
    if not isinstance(engine, TextScoringEngine):
        raise Unavailable("text scoring is not configured in this process", retry_after=60)
    if symbols:
        async with deps.connection() as conn:
            unknown = await db_tickers.unknown_symbols(conn, symbols=symbols)
        if unknown:
            raise InvalidInput(
                f"unknown ticker(s): {', '.join(unknown)}",
                field="tickers",
                code="unknown_ticker",
                details={"unknown": unknown},
            )
    analysis = await engine.analyze(deps, title=title, body=body, tickers=symbols)
    return {**analysis, "scored_at": datetime.now(UTC)}
