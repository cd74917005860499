"""Capital returned to shareholders: dividend actions (increase, decrease, initiate, suspend, declare)
and share buybacks."""

from __future__ import annotations

import re
from typing import Final

from scoring._events import HEDGED, RUMOR, Attributes, Context, Found, about, negated, whole
from scoring.amounts import find_amounts

_DIVIDEND: Final = re.compile(r"\bdividends?\b|\bpayouts?\b", re.I)
_DIVIDEND_ACTIONS: Final = (
    (
        re.compile(
            r"\b(?:suspend(?:ed|s|ing)?|halt(?:ed|s)?|eliminat(?:e|ed|es)|scrap(?:ped|s)?|omit(?:ted|s)?|"
            r"skip(?:ped|s)|stop(?:ped|s))\b",
            re.I,
        ),
        "suspend",
    ),
    (
        re.compile(
            r"\b(?:rais(?:ed|es|ing)|increas(?:ed|es|ing)|hik(?:ed|es)|boost(?:ed|s)|lift(?:ed|s)|"
            r"upped|higher)\b",
            re.I,
        ),
        "increase",
    ),
    (
        re.compile(
            r"\b(?:cut(?:s|ting)?|reduc(?:ed|es|ing)|lower(?:ed|s)|slash(?:ed|es)|trim(?:med|s))\b", re.I
        ),
        "decrease",
    ),
    (
        re.compile(
            r"\b(?:initiat(?:ed|es)|first[- ]ever|introduc(?:ed|es)|reinstat(?:ed|es)|start(?:ed|s) "
            r"paying)\b",
            re.I,
        ),
        "initiate",
    ),
    (
        re.compile(r"\b(?:declar(?:ed|es)|announc(?:ed|es)|approv(?:ed|es)|will pay|paid|pays)\b", re.I),
        "declare",
    ),
)


_CLAUSE_BREAK: Final = re.compile(r";|,\s+(?:and|but|while|whereas|as|after|although)\b|\s+while\b", re.I)


def _clause(s: str, start: int, end: int) -> tuple[int, int]:
    """Bounds of the clause around s[start:end]: from the last break before it to the first after it."""
    lo = max((b.end() for b in _CLAUSE_BREAK.finditer(s, 0, start)), default=0)
    after = _CLAUSE_BREAK.search(s, end)
    return lo, after.start() if after is not None else len(s)


def find_dividends(ctx: Context) -> list[Found]:
    s = ctx.sentence
    m = _DIVIDEND.search(s)
    if m is None or re.search(r"\bdividend (?:yield|stocks?|investors?|funds?)\b", s, re.I):
        return []
    for pattern, action in _DIVIDEND_ACTIONS:
        hit = pattern.search(s)
        if hit is not None and abs(hit.start() - m.start()) < 60:
            if negated(s, hit.start()):
                return []
            if action == "declare" and RUMOR.search(s[: hit.start()]):
                return []
            # Only figures in the dividend's own clause: "EPS of $1.64 ..., and raised its dividend by
            # 4%" must not report $1.64 as the dividend.
            lo, hi = _clause(s, min(m.start(), hit.start()), max(m.end(), hit.end()))
            amounts = [a for a in find_amounts(s) if lo <= a.start < hi]
            money = [a for a in amounts if a.kind == "money"]
            to = re.search(r"\bto\s+\$", s[lo:hi])
            if to is not None:
                money = [a for a in money if a.start >= lo + to.end() - 1] or money
            pct = [a for a in amounts if a.kind == "percent"]
            attrs: Attributes = {
                "action": action,
                "amount": whole(money[0]) if money else None,
                "currency": money[0].currency if money else None,
                "change_pct": pct[0].value if pct else None,
            }
            return [about(ctx, "dividend", attrs, 0.8)]
    return []


_BUYBACK: Final = re.compile(
    r"\b(?:buy ?backs?|share repurchases?|stock repurchases?|repurchase (?:program|plan|authori[sz]ation)|"
    r"(?:buy|bought|buying) back|repurchas(?:e|ed|ing) (?:up to )?(?:\$|its|shares|common))",
    re.I,
)


def find_buybacks(ctx: Context) -> list[Found]:
    s = ctx.sentence
    m = _BUYBACK.search(s)
    if m is None or negated(s, m.start()) or HEDGED.search(s[: m.start()]):
        return []
    if re.search(r"\b(?:suspend|halt|paus)\w*\b", s, re.I):
        return [about(ctx, "buyback", {"action": "suspend", "amount": None, "currency": None}, 0.75)]
    money = [a for a in find_amounts(s) if a.kind == "money"]
    acted = re.search(
        r"\b(?:announc|authori[sz]|approv|launch|add|unveil|plan|will|repurchased|bought back|boost|expand|"
        r"increas|new)\w*",
        s,
        re.I,
    )
    if not money and not acted and not re.search(r"\b[\d,.]+ (?:million )?shares\b", s):
        return []
    attrs: Attributes = {
        "action": "authorize",
        "amount": whole(money[0]) if money else None,
        "currency": money[0].currency if money else None,
    }
    return [about(ctx, "buyback", attrs, 0.8 if money else 0.65)]
