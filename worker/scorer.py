"""Runs the scorer off the event loop: a process (or thread) pool whose workers each load the model once.

Only plain data crosses the pool boundary: article ids and texts go in, ``core.records.ArticleScore``
(or an error string per article) comes out. A batch that raises is re-scored one article at a time inside
the pool worker, so one poison article fails alone and the rest of its batch is stored.

Test-only hooks, all off unless their environment variable is set (never set them in production):
``TICKERTONE_TEST_SCORER`` (``module:function`` replacing ``scoring:load_scorer``),
``TICKERTONE_TEST_POISON_MARKER`` (the scorer raises for an article whose text contains it),
``TICKERTONE_TEST_SCORE_DELAY_MS`` (sleep per article, to hold work in flight) and
``TICKERTONE_TEST_EXECUTION_LOG`` (append each scored article's title to this file).
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import importlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from core.records import ArticleScore, EventScore, Highlight, TickerRef, TickerScore
from scoring.analysis import Analysis, ArticleText
from scoring.analysis import Highlight as ScoringHighlight

DEFAULT_FACTORY = "scoring:load_scorer"


class Scorer(Protocol):
    @property
    def model_version(self) -> str: ...

    def analyze_many(self, articles: list[ArticleText]) -> list[Analysis]: ...


@dataclass(frozen=True, slots=True)
class ScoreInput:
    article_id: int
    title: str
    body: str
    tickers: tuple[str, ...]


# Loaded by the pool initializer, once per process, factory path and reference-ticker table (a process
# pool has one of each; in-process thread pools, as in tests, may come and go with other tables).
_scorers: dict[str, Scorer] = {}
_lock = threading.Lock()


def factory_path() -> str:
    return os.environ.get("TICKERTONE_TEST_SCORER") or DEFAULT_FACTORY


def _pool_key(path: str, tickers: Sequence[TickerRef]) -> str:
    digest = hashlib.sha256(repr(tuple(tickers)).encode()).hexdigest()[:16]
    return f"{path}#{digest}"


def load(path: str, tickers: Sequence[TickerRef]) -> Scorer:
    module_name, _, attr = path.partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    scorer: Scorer = factory(tickers)
    return scorer


def _init(path: str, tickers: tuple[TickerRef, ...], ignore_signals: bool) -> None:
    if ignore_signals:
        # The parent decides when to stop: a Ctrl-C or SIGTERM sent to the whole process group must
        # not kill a pool process in the middle of an article the parent is waiting for.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with _lock:
        if path not in _scorers:
            _scorers[path] = load(path.partition("#")[0], tickers)


def _model_version(path: str) -> str:
    return _scorers[path].model_version


def _highlight(h: ScoringHighlight) -> Highlight:
    return Highlight(text=h.text, section=h.section, start=h.start, end=h.end, score=h.score)


def to_article_score(article_id: int, analysis: Analysis) -> ArticleScore:
    tickers: dict[str, TickerScore] = {}
    for t in analysis.tickers:
        # The store keys ticker rows by symbol; a scorer that reports one twice keeps its first entry.
        tickers.setdefault(
            t.symbol,
            TickerScore(
                symbol=t.symbol,
                relevance=t.relevance,
                score=t.score,
                label=t.label,
                confidence=t.confidence,
                highlights=tuple(_highlight(h) for h in t.highlights),
                explicit=t.explicit,
            ),
        )
    events = tuple(
        EventScore(
            type=e.type,
            symbol=e.symbol,
            entity=e.entity,
            attributes=dict(e.attributes),
            evidence=_highlight(e.evidence) if e.evidence is not None else None,
            confidence=e.confidence,
        )
        for e in analysis.events
    )
    return ArticleScore(
        article_id=article_id,
        model=analysis.model,
        score=analysis.sentiment.score,
        label=analysis.sentiment.label,
        confidence=analysis.sentiment.confidence,
        tickers=tuple(tickers.values()),
        events=events,
    )


def _analyze(path: str, items: Sequence[ScoreInput]) -> list[Analysis]:
    marker = os.environ.get("TICKERTONE_TEST_POISON_MARKER")
    if marker and any(marker in i.title or marker in i.body for i in items):
        raise RuntimeError(f"test poison marker {marker!r} in article text")
    delay_ms = float(os.environ.get("TICKERTONE_TEST_SCORE_DELAY_MS") or 0)
    if delay_ms:
        time.sleep(delay_ms * len(items) / 1000)
    analyses = _scorers[path].analyze_many(
        [ArticleText(title=i.title, body=i.body, tickers=i.tickers) for i in items]
    )
    log_path = os.environ.get("TICKERTONE_TEST_EXECUTION_LOG")
    if log_path:
        # O_APPEND with one short write per line: concurrent pool processes do not interleave lines.
        with open(log_path, "a", encoding="utf-8") as log:
            log.write("".join(f"{i.title}\n" for i in items))
    return analyses


def score_batch(path: str, items: Sequence[ScoreInput]) -> list[ArticleScore | str]:
    """Runs in the pool: one result or error message per input, in input order."""
    try:
        analyses = _analyze(path, items)
        if len(analyses) != len(items):
            raise RuntimeError(f"scorer returned {len(analyses)} analyses for {len(items)} articles")
        return [to_article_score(i.article_id, a) for i, a in zip(items, analyses, strict=True)]
    except Exception as exc:
        if len(items) == 1:
            return [f"{type(exc).__name__}: {exc}"]
    # Isolate the article that broke the batch; the others must not pay for it.
    out: list[ArticleScore | str] = []
    for item in items:
        out.extend(score_batch(path, [item]))
    return out


class ScorerPool:
    """The executor and the model version its workers run."""

    def __init__(
        self,
        *,
        tickers: Sequence[TickerRef],
        concurrency: int,
        mode: Literal["process", "thread"],
        path: str | None = None,
    ) -> None:
        self.mode = mode
        self.concurrency = concurrency if mode == "process" else 1
        self._tickers = tuple(tickers)
        self._factory = path or factory_path()
        # The key the pool's processes know their scorer by (factory path + ticker-table digest).
        self._path = _pool_key(self._factory, self._tickers)
        self._executor = self._create()
        self.model_version = ""

    @property
    def tickers(self) -> tuple[TickerRef, ...]:
        return self._tickers

    def replacement(self, tickers: Sequence[TickerRef]) -> ScorerPool:
        """A pool like this one for another reference-ticker table (not started)."""
        return ScorerPool(tickers=tickers, concurrency=self.concurrency, mode=self.mode, path=self._factory)

    def _create(self) -> cf.Executor:
        args = (self._path, self._tickers, self.mode == "process")
        if self.mode == "process":
            # spawn, not fork: forking a process that runs an event loop and holds sockets is unsafe.
            return cf.ProcessPoolExecutor(
                max_workers=self.concurrency,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init,
                initargs=args,
            )
        # One thread: the scorer is not promised to be thread-safe, and one model per process is the rule.
        return cf.ThreadPoolExecutor(max_workers=1, initializer=_init, initargs=args)

    def start(self) -> str:
        """Load the model in every pool worker (blocking); returns its version."""
        warm = [self._executor.submit(_model_version, self._path) for _ in range(self.concurrency)]
        versions = {f.result() for f in warm}
        if len(versions) != 1:
            raise RuntimeError(f"pool workers disagree on the model version: {sorted(versions)}")
        self.model_version = versions.pop()
        return self.model_version

    def submit(self, items: Sequence[ScoreInput]) -> cf.Future[list[ArticleScore | str]]:
        return self._executor.submit(score_batch, self._path, list(items))

    def restart(self) -> None:
        """Replace a broken pool (a pool process died, e.g. killed by the OOM killer)."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._executor = self._create()

    def shutdown(self, *, wait: bool) -> None:
        if not wait and isinstance(self._executor, cf.ProcessPoolExecutor):
            # Past the grace period: stop pool processes still busy with an article we already released.
            # The executor has no public way to kill a busy worker, hence the private attribute.
            for process in list(getattr(self._executor, "_processes", {}).values()):
                process.terminate()
        self._executor.shutdown(wait=wait, cancel_futures=True)
