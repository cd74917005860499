"""From class probabilities to scores, and from sentence scores to article and ticker sentiment.

A sentence's score is P(positive) - P(negative), in [-1, 1]; its confidence is the probability of the
class it falls in. Article and ticker scores are weighted means of sentence scores, where:

- position: the headline weighs most, then body sentences in reading order with a decay (news puts
  the facts first); paragraphs after the first (analysis, background) count a quarter;
- hedges: conditional or speculative sentences ("if", "may", "could") weigh half;
- facts: a sentence carrying typed events has its score averaged with the events' net direction (a
  raised outlook is good news whatever the wording) and weighs more;
- signal: a clearly signed, confident sentence outweighs a flat one, so filler does not drown the news.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from core.scale import label_of, polarity_of

TITLE_WEIGHT: Final = 2.0
# Body sentence i weighs DECAY**i, never below FLOOR.
DECAY: Final = 0.7
FLOOR: Final = 0.3
HEDGE_WEIGHT: Final = 0.5
# Paragraphs after the first (commentary, background) weigh this much relative to the news paragraph.
COMMENTARY_WEIGHT: Final = 0.25
EVENT_WEIGHT: Final = 1.5
_HEDGE: Final = re.compile(r"\b(?:if|unless|may|might|could|would|likely|possibly|perhaps)\b", re.I)
# Net direction of an event for the company it concerns; None means direction-neutral.
_EVENT_DIRECTION: Final[dict[tuple[str, str | None], float]] = {
    ("acquisition", "announced"): 0.4,
    ("acquisition", "completed"): 0.4,
    ("acquisition", "terminated"): -0.5,
    ("acquisition", "rumored"): 0.2,
    ("merger", None): 0.3,
    ("earnings", "beat"): 0.6,
    ("earnings", "miss"): -0.6,
    ("earnings", "inline"): 0.0,
    ("guidance", "raised"): 0.8,
    ("guidance", "lowered"): -0.8,
    ("guidance", "reaffirmed"): 0.2,
    ("analyst_rating", "upgrade"): 0.7,
    ("analyst_rating", "downgrade"): -0.7,
    ("analyst_rating", "price_target_raised"): 0.5,
    ("analyst_rating", "price_target_lowered"): -0.5,
    ("dividend", "increase"): 0.6,
    ("dividend", "initiate"): 0.6,
    ("dividend", "decrease"): -0.7,
    ("dividend", "suspend"): -0.8,
    ("buyback", "authorize"): 0.5,
    ("buyback", "suspend"): -0.4,
    ("layoffs", None): -0.5,
    ("legal", None): -0.5,
    ("bankruptcy", None): -0.9,
    ("offering", None): -0.3,
}
_EVENT_KEY: Final[dict[str, str]] = {
    "acquisition": "status",
    "earnings": "result",
    "guidance": "direction",
    "analyst_rating": "action",
    "dividend": "action",
    "buyback": "action",
}
# Weight added for how clearly signed a sentence is: |score| 1 counts (1 + SIGNAL) times a neutral one.
SIGNAL: Final = 2.0
NEUTRAL_BAND: Final = 0.15  # the scale's neutral band is (-0.15, 0.15)


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


def sentence_weight(section: str, index: int, paragraph: int, text: str, has_events: bool) -> float:
    """Position, hedge and fact weight of a sentence; ``index`` counts sentences within its paragraph."""
    weight = TITLE_WEIGHT if section == "title" else max(FLOOR, DECAY**index)
    if paragraph > 0:
        weight *= COMMENTARY_WEIGHT
    if _HEDGE.search(text):
        weight *= HEDGE_WEIGHT
    if has_events:
        weight *= EVENT_WEIGHT
    return weight


def event_direction(events: Sequence[tuple[str, Mapping[str, object]]]) -> float | None:
    """Net direction in [-1, 1] of a sentence's events, or None when none of them has one."""
    values = []
    for kind, attributes in events:
        key = _EVENT_KEY.get(kind)
        value = _EVENT_DIRECTION.get((kind, str(attributes.get(key)) if key else None))
        if value is not None:
            values.append(value)
    if not values:
        return None
    return max(-1.0, min(1.0, sum(values)))


def with_events(score: float, direction: float | None) -> float:
    """A sentence score moved halfway toward its events' direction."""
    if direction is None:
        return score
    return round(max(-1.0, min(1.0, (score + direction) / 2)), 4)


def combine(items: Sequence[Scored]) -> tuple[float, float]:
    """(score, confidence) of a set of weighted sentences.

    The score is the weighted mean of the sentences that take a side (outside the neutral band): a
    neutral sentence carries no direction, so it lowers the confidence rather than pulling the score
    toward 0. With no such sentence the score is the plain weighted mean. Confidence is the weighted
    mean sentence confidence, lowered by disagreement and by the neutral share, raised by evidence count.
    """
    if not items:
        return 0.0, 0.0
    weights = [it.weight * it.confidence * (1.0 + SIGNAL * abs(it.score)) for it in items]
    total = sum(weights)
    if total <= 0:
        return 0.0, 0.0
    polar = [(w, it) for w, it in zip(weights, items, strict=True) if abs(it.score) >= NEUTRAL_BAND]
    chosen = polar or list(zip(weights, items, strict=True))
    chosen_total = sum(w for w, _ in chosen)
    score = sum(w * it.score for w, it in chosen) / chosen_total
    spread = math.sqrt(sum(w * (it.score - score) ** 2 for w, it in chosen) / chosen_total)
    mean_conf = sum(w * it.confidence for w, it in zip(weights, items, strict=True)) / total
    neutral_share = 1.0 - sum(w for w, _ in polar) / total
    support = 1.0 - 0.5 ** len(chosen)
    confidence = mean_conf * (1.0 - 0.5 * spread) * (1.0 - 0.3 * neutral_share) * (0.6 + 0.4 * support)
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
