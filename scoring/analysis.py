"""The records the scorer returns: sentence, target, ticker and article sentiment, entities and events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Section = Literal["title", "body"]
AttributeValue = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class ArticleText:
    """An article to score; ``tickers`` are symbols named at ingest and always reported."""

    title: str
    body: str
    tickers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SentenceScore:
    score: float
    label: str
    polarity: str
    confidence: float


@dataclass(frozen=True, slots=True)
class TargetScore:
    name: str
    score: float
    label: str
    polarity: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Highlight:
    """Evidence: ``text == <section string>[start:end]``."""

    text: str
    section: Section
    start: int
    end: int
    score: float


@dataclass(frozen=True, slots=True)
class Sentiment:
    score: float
    label: str
    confidence: float


@dataclass(frozen=True, slots=True)
class TickerSentiment:
    symbol: str
    name: str
    relevance: float
    score: float
    label: str
    confidence: float
    highlights: tuple[Highlight, ...]
    explicit: bool


@dataclass(frozen=True, slots=True)
class Entity:
    name: str
    symbol: str | None
    mentions: int


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    symbol: str | None
    entity: str | None
    attributes: Mapping[str, AttributeValue]
    evidence: Highlight
    confidence: float


@dataclass(frozen=True, slots=True)
class Analysis:
    model: str
    sentiment: Sentiment
    tickers: tuple[TickerSentiment, ...]
    entities: tuple[Entity, ...]
    events: tuple[Event, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: plain dicts, lists, strings and numbers, snake_case keys as on the records."""
        return {
            "model": self.model,
            "sentiment": _sentiment_dict(self.sentiment),
            "tickers": [ticker_dict(t) for t in self.tickers],
            "entities": [{"name": e.name, "symbol": e.symbol, "mentions": e.mentions} for e in self.entities],
            "events": [event_dict(e) for e in self.events],
        }


def _sentiment_dict(s: Sentiment) -> dict[str, object]:
    return {"score": s.score, "label": s.label, "confidence": s.confidence}


def highlight_dict(h: Highlight) -> dict[str, object]:
    return {"text": h.text, "section": h.section, "start": h.start, "end": h.end, "score": h.score}


def ticker_dict(t: TickerSentiment) -> dict[str, object]:
    return {
        "symbol": t.symbol,
        "name": t.name,
        "relevance": t.relevance,
        "score": t.score,
        "label": t.label,
        "confidence": t.confidence,
        "highlights": [highlight_dict(h) for h in t.highlights],
        "explicit": t.explicit,
    }


def event_dict(e: Event) -> dict[str, object]:
    return {
        "type": e.type,
        "symbol": e.symbol,
        "entity": e.entity,
        "attributes": dict(e.attributes),
        "evidence": highlight_dict(e.evidence),
        "confidence": e.confidence,
    }
