"""Training and evaluation examples: the shared labelled sets read in place, their fixed splits, and a small
set of templated direction-by-quantity sentences. Tooling for `scoring.train` and `scoring eval` only."""

from __future__ import annotations

import csv
import hashlib
import os
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

Split = Literal["train", "test"]
LABELS: Final[tuple[str, str, str]] = ("negative", "neutral", "positive")

_TWITTER_LABELS: Final[dict[str, str]] = {"0": "negative", "1": "positive", "2": "neutral"}
_LINK: Final = re.compile(r"https?://\S+")
_LEADING_CASHTAGS: Final = re.compile(r"^(?:\$[A-Za-z.]+[\s,]*)+(?:[-:–]\s*)?")
_DECISION: Final = re.compile(r"""(?:\{|, )['"](.*?)['"]: '(positive|neutral|negative)'(?=, ['"]|\}$)""")
# SEntFiN has no official split: 15% of headlines, chosen by a hash of their serial number, are held out.
_SENTFIN_TEST_PERCENT: Final = 15


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled text; ``target`` is set for entity-level examples."""

    text: str
    label: str
    source: str
    target: str | None = None


def shared_data_dir() -> Path:
    """``../shared/data`` beside the checkout, or ``$TICKERTONE_SHARED_DATA``."""
    env = os.environ.get("TICKERTONE_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def clean_tweet(text: str) -> str:
    text = _LINK.sub("", text).strip()
    return _LEADING_CASHTAGS.sub("", text).strip() or text


def twitter(split: Split) -> list[Example]:
    """Twitter financial news: ``sent_train.csv`` trains, ``sent_valid.csv`` is the held-out test split."""
    name = "sent_train.csv" if split == "train" else "sent_valid.csv"
    path = shared_data_dir() / "twitter_financial_news_sentiment" / name
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    out = [Example(clean_tweet(r["text"]), _TWITTER_LABELS[r["label"]], "twitter") for r in rows]
    return [e for e in out if e.text]


def _sentfin_split(serial: str) -> Split:
    bucket = int(hashlib.sha1(serial.encode()).hexdigest(), 16) % 100
    return "test" if bucket < _SENTFIN_TEST_PERCENT else "train"


def sentfin_headlines(split: Split) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """(headline, [(entity, label), ...]) for the given split of SEntFiN."""
    path = shared_data_dir() / "sentfin" / "SEntFiN-dev.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if _sentfin_split(row["S No."]) != split:
                continue
            decisions = [(m.group(1), m.group(2)) for m in _DECISION.finditer(row["Decisions"].strip())]
            if decisions:
                yield row["Title"].strip(), decisions


def sentfin_sentences(split: Split) -> list[Example]:
    """Headlines whose entities all share one label, read as sentence-level examples."""
    out = []
    for title, decisions in sentfin_headlines(split):
        labels = {label for _, label in decisions}
        if len(labels) == 1:
            out.append(Example(title, labels.pop(), "sentfin"))
    return out


def sentfin_targets(split: Split) -> list[Example]:
    return [
        Example(title, label, "sentfin", target=entity)
        for title, decisions in sentfin_headlines(split)
        for entity, label in decisions
    ]


_COMPANIES: Final = (
    "Norwell Systems",
    "Baxley Foods",
    "Quarry Robotics",
    "Hestia Power",
    "Orlan Pharma",
    "Tidewater Labs",
    "Kestrel Air",
    "Mirabel Retail",
    "Corvid Networks",
    "Palisade Mining",
    "Ardent Bank",
    "Velo Motors",
)
_UP_VERBS: Final = ("rose", "climbed", "jumped", "increased", "grew", "surged", "improved")
_DOWN_VERBS: Final = ("fell", "dropped", "declined", "slumped", "decreased", "slid", "tumbled")
_GOOD_QTY: Final = ("revenue", "net income", "operating profit", "sales", "margins", "orders", "bookings")
_BAD_QTY: Final = ("costs", "net loss", "debt", "churn", "operating expenses", "losses", "delinquencies")


def synthetic(seed: int = 13) -> list[Example]:
    """Direction x quantity, beat/miss, raise/cut and two-company contrasts in news phrasing.

    The shared sets are mostly headlines; these teach that a falling cost is good news and a widening
    loss is bad, which a lexicon gets backwards. Company names are invented.
    """
    rng = random.Random(seed)
    out: list[Example] = []

    def add(text: str, label: str, target: str | None = None) -> None:
        out.append(Example(text, label, "synthetic", target))

    for _ in range(160):
        co = rng.choice(_COMPANIES)
        pct = rng.choice(("3%", "8%", "12 percent", "a fifth", "sharply", "to a record"))
        up, down = rng.choice(_UP_VERBS), rng.choice(_DOWN_VERBS)
        good, bad = rng.choice(_GOOD_QTY), rng.choice(_BAD_QTY)
        add(f"{co}'s {good} {up} {pct} in the quarter.", "positive")
        add(f"{co}'s {good} {down} {pct} in the quarter.", "negative")
        add(f"{co} said {bad} {down} {pct} from a year earlier.", "positive")
        add(f"{co} said {bad} {up} {pct} from a year earlier.", "negative")
    for _ in range(60):
        co, other = rng.sample(_COMPANIES, 2)
        add(f"{co} beat analysts' estimates for quarterly earnings.", "positive")
        add(f"{co} missed analysts' estimates for quarterly earnings.", "negative")
        add(f"{co} did not meet analysts' revenue expectations.", "negative")
        add(f"{co} raised its full-year outlook.", "positive")
        add(f"{co} cut its full-year forecast.", "negative")
        add(f"{co}'s net loss widened to $40 million.", "negative")
        add(f"{co}'s net loss narrowed to $12 million.", "positive")
        add(f"{co} reaffirmed its annual guidance.", "neutral")
        add(f"{co} will report results on Thursday.", "neutral")
        contrast = f"{co} rallied after strong results while {other} slumped on a weak forecast."
        add(contrast, "positive", co)
        add(contrast, "negative", other)
        contrast = f"{co} lost share to {other}, whose sales jumped 20%."
        add(contrast, "negative", co)
        add(contrast, "positive", other)
        upgrade = f"An analyst upgraded {co} to buy and downgraded {other} to sell."
        add(upgrade, "positive", co)
        add(upgrade, "negative", other)
    return out
