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
    "Brightline",
    "Oakridge",
    "Sunvale",
    "Marrow Energy",
    "Teller & Finch",
    "Grayson Steel",
    "Luxor Media",
    "Pinecrest",
    "Halden",
    "Roswell Chemicals",
    "Everstar",
    "Crane Logistics",
)
_UP_VERBS: Final = (
    "rose",
    "climbed",
    "jumped",
    "increased",
    "grew",
    "surged",
    "improved",
    "rose sharply",
    "edged up",
    "expanded",
    "soared",
    "climbed to a record",
)
_DOWN_VERBS: Final = (
    "fell",
    "dropped",
    "declined",
    "slumped",
    "decreased",
    "slid",
    "tumbled",
    "shrank",
    "edged down",
    "contracted",
    "plunged",
    "fell sharply",
)
_GOOD_QTY: Final = (
    "revenue",
    "net income",
    "operating profit",
    "sales",
    "margins",
    "orders",
    "bookings",
    "backlog",
    "earnings per share",
    "free cash flow",
    "market share",
    "deliveries",
    "same-store sales",
    "subscribers",
    "gross margin",
    "operating cash flow",
    "quarterly profit",
    "demand",
)
_BAD_QTY: Final = (
    "costs",
    "net loss",
    "debt",
    "churn",
    "operating expenses",
    "losses",
    "delinquencies",
    "loan defaults",
    "impairment charges",
    "write-downs",
    "inventory levels",
    "leverage",
    "charge-offs",
    "bad-loan provisions",
    "legal costs",
    "customer complaints",
)
_AMOUNTS: Final = (
    "3%",
    "8%",
    "12 percent",
    "a fifth",
    "by a third",
    "sharply",
    "to a record",
    "for a third quarter",
    "to $1.2 billion",
    "by $40 million",
    "from a year earlier",
    "in the quarter",
    "",
)
_GOOD_EFFECTS: Final = ("lifting margins", "boosting profit", "helping results", "supporting the shares")
_BAD_EFFECTS: Final = ("squeezing margins", "hurting profit", "weighing on results", "pressuring the shares")
_POS_PRED: Final = (
    "rallied after strong results",
    "beat estimates",
    "raised its outlook",
    "won a large contract",
    "reported record sales",
    "jumped on upbeat guidance",
    "gained share",
)
_NEG_PRED: Final = (
    "slumped on a weak forecast",
    "missed estimates",
    "cut its outlook",
    "lost a major customer",
    "reported falling sales",
    "tumbled after a profit warning",
    "lost share",
)


def synthetic(seed: int = 13) -> list[Example]:
    """Direction x quantity, beat/miss, raise/cut, neutral scheduling and two-company contrasts.

    The shared sets are mostly headlines; these teach that a falling cost is good news and a widening
    loss is bad, which a lexicon gets backwards. Company names are invented.
    """
    rng = random.Random(seed)
    out: list[Example] = []

    def add(text: str, label: str, target: str | None = None) -> None:
        out.append(
            Example(" ".join(text.split()).replace(" .", ".").replace(" ,", ","), label, "synthetic", target)
        )

    def pick(options: tuple[str, ...]) -> str:
        return rng.choice(options)

    for _ in range(220):
        co = pick(_COMPANIES)
        up, down, amt = pick(_UP_VERBS), pick(_DOWN_VERBS), pick(_AMOUNTS)
        good, bad = pick(_GOOD_QTY), pick(_BAD_QTY)
        form = rng.randrange(4)
        if form == 0:
            add(f"{co}'s {good} {up} {amt}.", "positive")
            add(f"{co}'s {good} {down} {amt}.", "negative")
            add(f"{co}'s {bad} {down} {amt}.", "positive")
            add(f"{co}'s {bad} {up} {amt}.", "negative")
        elif form == 1:
            add(f"{good.capitalize()} {up} {amt}, the company said.", "positive")
            add(f"{good.capitalize()} {down} {amt}, the company said.", "negative")
            add(f"{bad.capitalize()} {down} {amt}, {pick(_GOOD_EFFECTS)}.", "positive")
            add(f"{bad.capitalize()} {up} {amt}, {pick(_BAD_EFFECTS)}.", "negative")
        elif form == 2:
            add(f"{co} said {bad} {down} {amt}.", "positive")
            add(f"{co} said {bad} {up} {amt}.", "negative")
            add(f"At {co}, {good} {up} {amt}.", "positive")
            add(f"At {co}, {good} {down} {amt}.", "negative")
        else:
            add(f"{bad.capitalize()} {down} for the fourth straight quarter.", "positive")
            add(f"{bad.capitalize()} {up} for the fourth straight quarter.", "negative")
            add(f"{good.capitalize()} {up} despite a weak market.", "positive")
            add(f"{good.capitalize()} {down} despite a strong market.", "negative")
    for _ in range(90):
        co, other = rng.sample(_COMPANIES, 2)
        add(f"{co} beat analysts' estimates for quarterly earnings.", "positive")
        add(f"{co} missed analysts' estimates for quarterly earnings.", "negative")
        add(f"{co}'s earnings came in {pick(('above', 'ahead of'))} consensus.", "positive")
        add(f"{co}'s earnings came in {pick(('below', 'short of'))} consensus.", "negative")
        add(f"{co} did not meet analysts' revenue expectations.", "negative")
        add(f"{co} failed to beat Wall Street forecasts.", "negative")
        add(f"{co} raised its full-year outlook.", "positive")
        add(f"{co} cut its full-year forecast.", "negative")
        add(f"{co}'s net loss widened to $40 million.", "negative")
        add(f"{co}'s net loss narrowed to $12 million.", "positive")
        add(
            f"{co} swung to a profit in the {pick(('first', 'second', 'third', 'fourth'))} quarter.",
            "positive",
        )
        add(
            f"{co} swung to a loss in the {pick(('first', 'second', 'third', 'fourth'))} quarter.", "negative"
        )
        add(f"{co} reaffirmed its annual guidance.", "neutral")
        add(f"{co} will report results on {pick(('Monday', 'Tuesday', 'Thursday'))}.", "neutral")
        add(f"{co} shares closed unchanged at ${rng.randrange(10, 300)}.{rng.randrange(10, 99)}.", "neutral")
        add(f"{co} scheduled its annual meeting for May {rng.randrange(1, 28)}.", "neutral")
        pos, neg = pick(_POS_PRED), pick(_NEG_PRED)
        contrast = f"{co} {pos} while {other} {neg}."
        add(contrast, "positive", co)
        add(contrast, "negative", other)
        contrast = f"{co} {neg}, but {other} {pos}."
        add(contrast, "negative", co)
        add(contrast, "positive", other)
        contrast = f"{co} lost customers to {other}, whose sales jumped {rng.randrange(5, 60)}%."
        add(contrast, "negative", co)
        add(contrast, "positive", other)
        contrast = f"{co} gained market share at the expense of {other}."
        add(contrast, "positive", co)
        add(contrast, "negative", other)
        upgrade = f"Analysts upgraded {co} to buy and downgraded {other} to sell."
        add(upgrade, "positive", co)
        add(upgrade, "negative", other)
        add(f"{co} {pos} while rivals {pick(('slumped', 'struggled', 'fell'))}.", "positive", co)
        add(f"{co} {neg} while rivals {pick(('rallied', 'thrived', 'gained'))}.", "negative", co)
    return out
