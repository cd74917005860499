"""Typed market events in a sentence: deals, earnings and guidance (see `scoring.earnings`), analyst
ratings, dividends, buybacks, layoffs, legal matters, executive changes, bankruptcies and offerings.

Rules over the sentence text and its linked mentions; negated events ("did not agree to buy") are
dropped, hedged deals ("in talks to buy") are kept with status ``rumored``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from scoring import earnings
from scoring.amounts import Amount, find_amounts

Attributes = dict[str, str | int | float | bool | None]

EVENT_TYPES: Final = (
    "acquisition", "merger", "earnings", "guidance", "analyst_rating", "dividend", "buyback", "layoffs",
    "legal", "executive_change", "bankruptcy", "offering",
)  # fmt: skip


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


_NEGATED: Final = re.compile(
    r"\b(?:not|no longer|never|didn't|did not|does not|doesn't|won't|will not|denied|denies|refused to|"
    r"declined to|ruled out|rejected|no plans to)\b(?:\W+\w+){0,3}\W*$",
    re.I,
)
_RUMOR: Final = re.compile(
    r"\b(?:in talks|talks to|exploring|explores|considering|considers|weighing|weighs|rumou?red|reportedly|"
    r"people familiar|sources said|could|may|might|possible|potential|mulls|mulling|eyes|eyeing|approach(?:ed)?)\b",
    re.I,
)


def negated(sentence: str, at: int) -> bool:
    """Whether the trigger at ``at`` is negated by the few words before it."""
    return _NEGATED.search(sentence[max(0, at - 40) : at]) is not None


# --- deals -------------------------------------------------------------------------------------------

_ACQUIRE: Final = re.compile(
    r"\b(?P<verb>(?:agreed|agrees|agreeing|plans?|planning|will|to|would|offered|offers|bid) to "
    r"(?:buy|acquire|purchase|take over)|(?:buys|bought|acquires|acquired|acquiring|purchases|purchased|"
    r"snaps up|snapped up|takes over|took over)|(?:completed|completes|closed|closes|finalized|finalised|"
    r"terminated|terminates|scrapped|abandoned|called off) (?:its |the |a )?(?:\$?[\d.]+ \w+ )?"
    r"(?:acquisition|purchase|takeover|deal) (?:of|for)|(?:acquisition|purchase|takeover|buyout) of|"
    r"(?:bid|offer) for|to be acquired by|(?:was|is|will be|has been) acquired by|agreed to be acquired by)\b",
    re.I,
)
_MERGE: Final = re.compile(r"\b(?:merge with|merger with|merge|merging with|combine with|all-stock merger)\b", re.I)
_COMPLETED: Final = re.compile(r"\b(?:completed|completes|closed|closes|finalized|finalised|has acquired)\b", re.I)
_TERMINATED: Final = re.compile(
    r"\b(?:terminated|terminates|scrapped|abandoned|called off|walked away|walks away|collapsed)\b", re.I
)
_CASH: Final = re.compile(r"\b(?:in cash|all-cash|cash deal|cash offer|for cash|cash transaction)\b", re.I)
_STOCK: Final = re.compile(r"\b(?:in stock|all-stock|stock deal|stock transaction|in shares)\b", re.I)
_MIXED: Final = re.compile(r"\b(?:cash and stock|stock and cash|cash-and-stock|cash and shares)\b", re.I)
_PRIVATE: Final = re.compile(r"\b(?:startup|start-up|privately[- ]held|private)\b", re.I)


def _deal(ctx: Context) -> list[Found]:
    s = ctx.sentence
    m = _ACQUIRE.search(s)
    kind = "acquisition"
    if m is None:
        m = _MERGE.search(s)
        kind = "merger"
    if m is None or negated(s, m.start()):
        return []
    passive = "acquired by" in m.group().lower()
    before = [p for p in ctx.parties if p.end <= m.start()]
    after = [p for p in ctx.parties if p.start >= m.end() - 3]
    acquirer, target = (after[0] if after else None, before[-1] if before else None) if passive else (
        before[-1] if before else ctx.subject,
        after[0] if after else None,
    )
    if kind == "merger":
        target = after[0] if after else (before[-2] if len(before) > 1 else None)
    if target is None or (acquirer is not None and target.name == acquirer.name):
        return []
    money = [a for a in find_amounts(s[m.start() :]) if a.kind == "money"]
    status = "announced"
    if _TERMINATED.search(s):
        status = "terminated"
    elif _COMPLETED.search(s):
        status = "completed"
    elif _RUMOR.search(s):
        status = "rumored"
    consideration = None
    if _MIXED.search(s):
        consideration = "mixed"
    elif _CASH.search(s):
        consideration = "cash"
    elif _STOCK.search(s):
        consideration = "stock"
    target_type = "public" if target.symbol else ("private" if _PRIVATE.search(s) or True else None)
    attrs: Attributes = {
        "acquirer": (acquirer.symbol or acquirer.name) if acquirer else None,
        "target": target.symbol or target.name,
        "target_type": target_type,
        "value": _whole(money[0]) if money else None,
        "currency": money[0].currency if money else None,
        "consideration": consideration,
        "status": status,
    }
    if kind == "merger":
        attrs = {"party": attrs["target"], "value": attrs["value"], "currency": attrs["currency"],
                 "consideration": consideration, "status": status}  # fmt: skip
    who = acquirer or ctx.subject
    return [Found(kind, who.symbol if who else None, who.name if who else None, attrs, 0.85 if money else 0.7)]


def _whole(amount: Amount) -> int | float:
    return int(round(amount.value)) if abs(amount.value) >= 1000 else round(amount.value, 4)


# --- earnings and guidance ---------------------------------------------------------------------------


def _results(ctx: Context) -> list[Found]:
    s = ctx.sentence
    out = []
    for finding in earnings.find(s):
        if finding.type == "earnings" and negated(s, finding.start) and finding.attributes["result"] is None:
            continue
        who = ctx.subject
        out.append(
            Found(finding.type, who.symbol if who else None, who.name if who else None, finding.attributes,
                  finding.confidence)  # fmt: skip
        )
    return out


# --- the registry ------------------------------------------------------------------------------------

DETECTORS: list[Callable[[Context], list[Found]]] = [_deal, _results]


def find_events(ctx: Context) -> list[Found]:
    """Every event in one sentence, in detector order."""
    return [found for detect in DETECTORS for found in detect(ctx)]
