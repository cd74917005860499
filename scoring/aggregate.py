"""From class probabilities to scores, and from sentence scores to article and ticker sentiment.

A sentence's score is P(positive) - P(negative), in [-1, 1]; its confidence is the probability of the
class it falls in. Article and ticker scores are weighted means where the headline and lead weigh more
and a clearly signed sentence outweighs a neutral one, so a few flat sentences do not drown the news.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from core.scale import label_of, polarity_of

TITLE_WEIGHT: Final = 2.0
LEAD_WEIGHT: Final = 1.5
LEAD_SENTENCES: Final = 3
BODY_WEIGHT: Final = 1.0
# Weight added for how clearly signed a sentence is: |score| 1 counts (1 + SIGNAL) times a neutral one.
SIGNAL: Final = 2.0


@dataclass(frozen=True, slots=True)
class Scored:
    """A sentence's score and confidence with the weight its position gives it."""

    score: float
    confidence: float
    weight: float


def score_of(probs: npt.NDArray[np.float32], labels: Sequence[str]) -> tuple[float, float]:
    """(score, confidence) of one probability row."""
    p = {label: float(v) for label, v in zip(labels, probs, strict=True)}
    score = max(-1.0, min(1.0, p["positive"] - p["negative"]))
    polarity = polarity_of(score)
    confidence = p[polarity]
    return round(score, 4), round(confidence, 4)


def position_weight(section: str, index: int) -> float:
    """Headline counts most, then the lead; ``index`` counts body sentences from 0."""
    if section == "title":
        return TITLE_WEIGHT
    return LEAD_WEIGHT if index < LEAD_SENTENCES else BODY_WEIGHT


def combine(items: Sequence[Scored]) -> tuple[float, float]:
    """(score, confidence): signal-weighted mean score; confidence falls as the sentences disagree."""
    if not items:
        return 0.0, 0.0
    weights = [it.weight * it.confidence * (1.0 + SIGNAL * abs(it.score)) for it in items]
    total = sum(weights)
    if total <= 0:
        return 0.0, 0.0
    score = sum(w * it.score for w, it in zip(weights, items, strict=True)) / total
    spread = math.sqrt(sum(w * (it.score - score) ** 2 for w, it in zip(weights, items, strict=True)) / total)
    mean_conf = sum(w * it.confidence for w, it in zip(weights, items, strict=True)) / total
    # More evidence raises confidence a little; disagreement lowers it.
    support = 1.0 - 0.5 ** len(items)
    confidence = mean_conf * (1.0 - 0.5 * spread) * (0.6 + 0.4 * support)
    return round(max(-1.0, min(1.0, score)), 4), round(max(0.0, min(1.0, confidence)), 4)


def label(score: float) -> str:
    return label_of(score)


@dataclass(frozen=True, slots=True)
class Presence:
    """How a company appears in an article, for relevance."""

    in_title: bool
    in_lead: bool
    mentions: int
    total_mentions: int
    as_subject: int
    sentences: int
    total_sentences: int
    explicit: bool


def relevance(p: Presence) -> float:
    """In [0, 1]: title and lead mentions, share of all company mentions, subject position, coverage."""
    if p.mentions == 0 and p.sentences == 0:
        return 0.3 if p.explicit else 0.0
    share = p.mentions / max(1, p.total_mentions)
    coverage = p.sentences / max(1, p.total_sentences)
    value = (
        0.15
        + 0.25 * p.in_title
        + 0.15 * p.in_lead
        + 0.2 * share
        + 0.15 * min(1.0, coverage * 2)
        + 0.1 * min(1.0, p.as_subject / 2)
    )
    return round(min(1.0, value), 4)
