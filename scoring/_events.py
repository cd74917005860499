"""Shared pieces of the event rules: what a detector sees (`Context`), what it returns (`Found`), and the
negation and hedge cues every detector applies."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from scoring.amounts import Amount

Attributes = dict[str, str | int | float | bool | None]


@dataclass(frozen=True, slots=True)
class Party:
    """An organisation mentioned in the sentence, offsets relative to the sentence."""

    name: str
    symbol: str | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Found:
    """An event found in one sentence; ``symbol``/``entity`` say whom it concerns."""

    type: str
    symbol: str | None
    entity: str | None
    attributes: Attributes
    confidence: float


@dataclass(frozen=True, slots=True)
class Context:
    sentence: str
    parties: Sequence[Party]
    subject: Party | None  # the company the sentence is about (named first, or the last one before it)


NEGATED: Final = re.compile(
    r"\b(?:not|no longer|never|didn't|did not|does not|doesn't|won't|will not|denied|denies|refused to|"
    r"declined to|ruled out|rejected|no plans (?:to|for)|has no|have no)\b(?:\W+\w+){0,3}\W*$",
    re.I,
)
RUMOR: Final = re.compile(
    r"\b(?:in talks|talks to|exploring|explores|considering|considers|weighing|weighs|rumou?red|reportedly|"
    r"people familiar|sources said|could|may|might|possible|potential|mulls|mulling|eyes|eyeing|"
    r"approach(?:ed)?)\b",
    re.I,
)


def negated(sentence: str, at: int) -> bool:
    """Whether the trigger at ``at`` is negated by the few words before it."""
    return NEGATED.search(sentence[max(0, at - 40) : at]) is not None


HEDGED: Final = re.compile(
    r"\b(?:could|may|might|considering|weighing|would consider|plans? to study)\b", re.I
)


def whole(amount: Amount) -> int | float:
    return round(amount.value) if abs(amount.value) >= 1000 else round(amount.value, 4)


def about(ctx: Context, kind: str, attrs: Attributes, confidence: float) -> Found:
    who = ctx.subject
    return Found(kind, who.symbol if who else None, who.name if who else None, attrs, confidence)
