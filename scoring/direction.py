"""Direction x quantity: "debt fell" is good news, "losses widened" bad. A small rule layer over the
model's sentence score, for the financial quantities whose sign a general model most often gets wrong,
and the clause a target sits in, for target-dependent sentiment ("A rose, while B fell")."""

from __future__ import annotations

import re
from typing import Final

_GOOD: Final = (
    r"revenues?|sales|profits?|net income|earnings|margins?|orders|bookings|backlog|free cash flow|cash flow|"
    r"market share|deliveries|subscribers|demand|eps|earnings per share|operating income"
)
_BAD: Final = (
    r"costs?|expenses|debt|churn|losses|net loss|loss|delinquenc(?:y|ies)|defaults?|impairments?|"
    r"write-?downs?|charge-?offs|provisions|leverage|inventor(?:y|ies)|complaints|layoffs|unemployment"
)
_UP: Final = (
    r"rose|rise[sn]?|rising|climbed|climbs?|jumped|jumps?|increased|increases?|grew|grows?|surged|surges?|"
    r"soared|widened|widens?|expanded|swelled|doubled|tripled|spiked|ballooned|mounted|went up|higher|"
    r"gained|gains|gaining"
)
_DOWN: Final = (
    r"fell|falls?|falling|dropped|drops?|declined|declines?|decreased|decreases?|slumped|slid|tumbled|"
    r"shrank|shrinks?|shrunk|narrowed|narrows?|plunged|contracted|halved|eased|went down|lower|cut"
)
_RULE: Final = re.compile(rf"\b(?P<qty>{_GOOD}|{_BAD})\b(?:\s+\w+){{0,3}}?\s+(?P<dir>{_UP}|{_DOWN})\b", re.I)
# Losing business to someone is bad whatever the numbers.
_LOST: Final = re.compile(
    r"\blost (?:\w+ )?(?:customers|clients|share|market share|business|contracts|orders)\b", re.I
)
_WON: Final = re.compile(r"\b(?:gained|won|grabbed|took|captured) (?:\w+ )?(?:market )?share\b", re.I)
_BEAT: Final = re.compile(
    r"\b(?:beat|beats|topped|tops|exceeded|surpassed) (?:\w+'?s? ){0,3}"
    r"(?:estimates|expectations|forecasts|consensus)",
    re.I,
)
_MISS: Final = re.compile(
    r"\b(?:missed|misses|fell short of|(?:did not|didn't|failed to) (?:meet|beat|top)) (?:\w+'?s? ){0,3}"
    r"(?:estimates|expectations|forecasts|consensus)",
    re.I,
)
_LAYOFFS: Final = re.compile(
    r"\b(?:lay(?:ing)? off|laid off|lays off|layoffs|job cuts|cut [\d,]+ jobs)\b", re.I
)
_GOOD_RE: Final = re.compile(rf"^(?:{_GOOD})$", re.I)
_UP_RE: Final = re.compile(rf"^(?:{_UP})$", re.I)
_NEGATION: Final = re.compile(r"\b(?:not|no|never|didn't|did not|failed to)\b", re.I)
# Clause breaks for target-dependent scoring; relative clauses ("..., whose sales jumped") attach to
# the name just before them.
_CLAUSE_BREAK: Final = re.compile(
    r",?\s+(?:while|whereas|but|although|though)\s+|;\s+|,\s+and\s+|\s+and\s+(?=\w+ed\b)"
)
_RELATIVE: Final = re.compile(r",\s+(?:whose|which)\s+")
_INVERTERS: Final = re.compile(
    r"\b(?:at the expense of|lost (?:\w+ ){0,2}to|ceded (?:\w+ ){0,2}to)\s+$", re.I
)

RULE_SCORE: Final = 0.8


def quantity_direction(sentence: str) -> float | None:
    """+0.8 / -0.8 when the sentence says a good or bad quantity moved, else None (or if they conflict)."""
    signs = set()
    if _LOST.search(sentence):
        signs.add(-1)
    if _WON.search(sentence):
        signs.add(1)
    if _MISS.search(sentence) or _LAYOFFS.search(sentence):
        signs.add(-1)
    elif _BEAT.search(sentence):
        signs.add(1)
    for m in _RULE.finditer(sentence):
        if _NEGATION.search(sentence[max(0, m.start() - 20) : m.start()]):
            continue
        good = bool(_GOOD_RE.match(m.group("qty")))
        up = bool(_UP_RE.match(m.group("dir")))
        signs.add(1 if good == up else -1)
    if len(signs) != 1:
        return None
    return RULE_SCORE * signs.pop()


def adjust(score: float, sentence: str) -> float:
    """The model score moved toward the direction rule when one applies."""
    rule = quantity_direction(sentence)
    if rule is None:
        return score
    return round(max(-1.0, min(1.0, 0.3 * score + 0.7 * rule)), 4)


def target_clause(sentence: str, target: str, others: list[str]) -> tuple[str, bool] | None:
    """The part of ``sentence`` that speaks about ``target`` alone, and whether its tone is inverted for
    the target ("gained share at the expense of B" is bad for B); None when no clause isolates it."""
    at = sentence.find(target)
    if at < 0:
        return None
    relative = _RELATIVE.search(sentence, at + len(target))
    if relative is not None and relative.start() == at + len(target):
        end = _CLAUSE_BREAK.search(sentence, relative.end())
        return sentence[relative.end() : end.start() if end else len(sentence)], False
    breaks = list(_CLAUSE_BREAK.finditer(sentence))
    los = [0] + [m.end() for m in breaks]
    his = [m.start() for m in breaks] + [len(sentence)]
    bounds = list(zip(los, his, strict=True))
    for lo, hi in bounds:
        if lo <= at < hi:
            clause = sentence[lo:hi]
            relative = _RELATIVE.search(clause)
            if relative is not None:
                clause = clause[: relative.start()]
            if _INVERTERS.search(sentence[lo:at]):
                return clause, True
            rivals = [o for o in others if o != target and o in clause]
            # "A lost customers to B": B is the object of an inverter, so the clause still speaks of A.
            if any(not _INVERTERS.search(clause[: clause.find(o)]) for o in rivals):
                return None
            if len(bounds) == 1 and not rivals:
                return None
            return clause, False
    return None
