"""Pure NLP scoring: sentences, entity linking, sentence and target sentiment, aggregation, typed events.

No I/O beyond the packaged model files, no asyncio, no network; the same input gives the same output.
"""

from scoring.analysis import (
    Analysis,
    ArticleText,
    Entity,
    Event,
    Highlight,
    SentenceScore,
    Sentiment,
    TargetScore,
    TickerSentiment,
)
from scoring.scorer import Scorer, load_scorer

__all__ = [
    "Analysis",
    "ArticleText",
    "Entity",
    "Event",
    "Highlight",
    "Scorer",
    "SentenceScore",
    "Sentiment",
    "TargetScore",
    "TickerSentiment",
    "load_scorer",
]
