"""The published sentiment scale: score bands, their labels and the three-way polarity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Polarity = Literal["negative", "neutral", "positive"]


@dataclass(frozen=True, slots=True)
class Band:
    """One label of the scale; ``low`` is inclusive or exclusive as ``low_inclusive`` says."""

    label: str
    low: float
    high: float
    low_inclusive: bool
    high_inclusive: bool
    polarity: Polarity


# strongly negative <= -0.75 < moderately negative <= -0.40 < slightly negative <= -0.15 < neutral
# < 0.15 <= slightly positive < 0.40 <= moderately positive < 0.75 <= strongly positive
SCALE: Final[tuple[Band, ...]] = (
    Band("strongly negative", -1.0, -0.75, True, True, "negative"),
    Band("moderately negative", -0.75, -0.40, False, True, "negative"),
    Band("slightly negative", -0.40, -0.15, False, True, "negative"),
    Band("neutral", -0.15, 0.15, False, False, "neutral"),
    Band("slightly positive", 0.15, 0.40, True, False, "positive"),
    Band("moderately positive", 0.40, 0.75, True, False, "positive"),
    Band("strongly positive", 0.75, 1.0, True, True, "positive"),
)

LABELS: Final[tuple[str, ...]] = tuple(b.label for b in SCALE)


def _contains(band: Band, score: float) -> bool:
    above = score >= band.low if band.low_inclusive else score > band.low
    below = score <= band.high if band.high_inclusive else score < band.high
    return above and below


def band_of(score: float) -> Band:
    if not -1.0 <= score <= 1.0:
        raise ValueError(f"score {score} is outside [-1, 1]")
    for band in SCALE:
        if _contains(band, score):
            return band
    raise AssertionError("the scale covers [-1, 1]")  # pragma: no cover


def label_of(score: float) -> str:
    return band_of(score).label


def polarity_of(score: float) -> Polarity:
    return band_of(score).polarity


def label_range(label: str) -> tuple[float, float]:
    """The closed hull of a label's band, for SQL filters on ``score``."""
    for band in SCALE:
        if band.label == label:
            return band.low, band.high
    raise KeyError(label)
