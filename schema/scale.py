"""The published sentiment scale and the sentiment values it labels."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from core import records
from core.scale import SCALE, Band
from schema._fields import field


@strawberry.enum(description="The three-way reading of a score.")
class Polarity(Enum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


@strawberry.type(
    description=(
        "One label of the scale: a score s has this label when min < s < max, with `<` replaced by "
        "`<=` on the sides whose inclusive flag is true. The bands cover [-1, 1] without overlap."
    )
)
class SentimentBand:
    label: str
    min: float
    max: float
    min_inclusive: bool
    max_inclusive: bool
    polarity: Polarity

    @classmethod
    def from_band(cls, band: Band) -> SentimentBand:
        return cls(
            label=band.label,
            min=band.low,
            max=band.high,
            min_inclusive=band.low_inclusive,
            max_inclusive=band.high_inclusive,
            polarity=Polarity(band.polarity),
        )


@strawberry.type(
    description=(
        "A score in [-1, 1] with its label on the published scale (see `sentimentScale`), the "
        "model's confidence in [0, 1], the model version that produced it and when."
    )
)
class Sentiment:
    score: float
    label: str
    confidence: float
    model: str
    scored_at: datetime

    @classmethod
    def from_record(cls, sentiment: records.Sentiment | None) -> Sentiment | None:
        if sentiment is None:
            return None
        return cls(
            score=sentiment.score,
            label=sentiment.label,
            confidence=sentiment.confidence,
            model=sentiment.model,
            scored_at=sentiment.scored_at,
        )


@strawberry.type(
    description=(
        "A ticker's sentiment within one article, same scale as `Sentiment`; it was scored together "
        "with the article, at the article's `sentiment.scoredAt`."
    )
)
class TickerSentiment:
    score: float
    label: str
    confidence: float
    model: str


_BANDS = tuple(SentimentBand.from_band(b) for b in SCALE)


@strawberry.type
class ScaleQuery:
    @field(description="The published sentiment scale, most negative band first.")
    def sentiment_scale(self) -> list[SentimentBand]:
        return list(_BANDS)
