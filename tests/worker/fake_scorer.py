"""Scorer factories for worker tests: the real one when its model is packaged, else a tiny stand-in.

``load_scorer`` is what worker subprocesses load through ``TICKERTONE_TEST_SCORER``;
``load_shifted`` wraps it as a newer model version with different scores, for re-score tests.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from core.records import TickerRef
from core.scale import label_of
from scoring.analysis import Analysis, ArticleText, Event, Highlight, Sentiment, TickerSentiment
from worker.scorer import Scorer

_ARTIFACTS = Path(__file__).resolve().parents[2] / "scoring" / "artifacts"
_POSITIVE = {"beat", "beats", "rose", "raised", "gain", "gains", "record", "growth", "up"}
_NEGATIVE = {"miss", "misses", "fell", "cut", "loss", "losses", "down", "lawsuit", "weak"}


def real_scorer_available() -> bool:
    return (_ARTIFACTS / "model.json").exists() and (_ARTIFACTS / "model.onnx").exists()


class FakeScorer:
    """Word counts for sentiment, exact name/alias matches for tickers, one event per "acquire"."""

    model_version = "fake-1"

    def __init__(self, tickers: Sequence[TickerRef]) -> None:
        self._names = {
            name.lower(): t for t in tickers for name in (t.name, t.symbol, *t.aliases) if len(name) >= 3
        }

    def analyze_many(self, articles: Sequence[ArticleText]) -> list[Analysis]:
        return [self._one(a) for a in articles]

    def _one(self, article: ArticleText) -> Analysis:
        words = re.findall(r"[a-z]+", f"{article.title} {article.body}".lower())
        pos = sum(w in _POSITIVE for w in words)
        neg = sum(w in _NEGATIVE for w in words)
        score = round((pos - neg) / max(1, pos + neg) * 0.8, 3)
        tickers: dict[str, TickerSentiment] = {}
        for name, ref in self._names.items():
            start = article.body.lower().find(name)
            if start < 0 and ref.symbol not in article.tickers:
                continue
            highlights: tuple[Highlight, ...] = ()
            if start >= 0:
                end = start + len(name)
                highlights = (Highlight(article.body[start:end], "body", start, end, score),)
            tickers.setdefault(
                ref.symbol,
                TickerSentiment(
                    symbol=ref.symbol,
                    name=ref.name,
                    relevance=0.9 if start >= 0 else 0.5,
                    score=score,
                    label=label_of(score),
                    confidence=0.7,
                    highlights=highlights,
                    explicit=ref.symbol in article.tickers,
                ),
            )
        for symbol in article.tickers:
            # Named at ingest: always reported, as the real scorer promises, even if never mentioned.
            tickers.setdefault(
                symbol, TickerSentiment(symbol, symbol, 0.5, score, label_of(score), 0.7, (), True)
            )
        events: list[Event] = []
        at = article.body.find("acquire")
        if at >= 0 and tickers:
            evidence = Highlight(article.body[at : at + 7], "body", at, at + 7, score)
            first = next(iter(tickers.values()))
            events.append(
                Event("acquisition", first.symbol, first.name, {"status": "announced"}, evidence, 0.8)
            )
        return Analysis(
            model=self.model_version,
            sentiment=Sentiment(score, label_of(score), 0.6),
            tickers=tuple(tickers.values()),
            entities=(),
            events=tuple(events),
        )


def load_scorer(tickers: Sequence[TickerRef]) -> Scorer:
    if real_scorer_available():
        from scoring import load_scorer as load_real

        real: Scorer = load_real(tickers)
        return real
    return FakeScorer(tickers)


def load_fake(tickers: Sequence[TickerRef]) -> Scorer:
    """Always the stand-in, model or not: for timing the queue path without the model."""
    return FakeScorer(tickers)


class ShiftedScorer:
    """A "newer model": the base scorer's output under another version, scores moved toward negative."""

    def __init__(self, base: Scorer) -> None:
        self._base = base
        self.model_version = f"{base.model_version}-next"

    def analyze_many(self, articles: Sequence[ArticleText]) -> list[Analysis]:
        out = []
        for a in self._base.analyze_many(list(articles)):
            score = max(-1.0, a.sentiment.score - 0.5)
            tickers = tuple(
                replace(t, score=max(-1.0, t.score - 0.5), label=label_of(max(-1.0, t.score - 0.5)))
                for t in a.tickers
            )
            out.append(
                replace(
                    a,
                    model=self.model_version,
                    sentiment=Sentiment(score, label_of(score), a.sentiment.confidence),
                    tickers=tickers,
                    events=a.events[:1],
                )
            )
        return out


def load_shifted(tickers: Sequence[TickerRef]) -> Scorer:
    return ShiftedScorer(load_scorer(tickers))
