"""Analyst rating actions: firm, upgrade / downgrade / initiate / reiterate, from and to ratings, and
price-target changes ("cut its price target to $40")."""

from __future__ import annotations

import re
from typing import Final

from scoring._events import Attributes, Context, Found, negated, whole
from scoring.amounts import find_amounts

_RATINGS: Final = (
    r"strong buy|buy|sell|strong sell|hold|neutral|overweight|underweight|equal[- ]weight|outperform|"
    r"underperform|market perform|sector perform|peer perform|accumulate|reduce|positive|negative"
)
_RATING_ACTION: Final = re.compile(
    r"\b(?P<up>upgraded|upgrades|upgrading|raised .{0,20}?rating)\b|"
    r"\b(?P<down>downgraded|downgrades|downgrading)\b|"
    r"\b(?P<init>initiat(?:ed|es|ing)|started|starts|began|begins|launched) (?:coverage|with|at)\b|"
    r"\b(?P<reit>reiterat(?:ed|es|ing)|maintain(?:ed|s|ing)|affirm(?:ed|s)|kept)\b",
    re.I,
)
_PRICE_TARGET: Final = re.compile(
    r"\b(?P<verb>rais(?:ed|es|ing)|lift(?:ed|s)|boost(?:ed|s)|increas(?:ed|es)|cut(?:s|ting)?|lower(?:ed|s)|"
    r"reduc(?:ed|es)|trim(?:med|s)|slash(?:ed|es))? ?(?:its |the )?(?:\w+ )?price (?:target|objective)",
    re.I,
)
_FIRM: Final = re.compile(
    r"\b((?:[A-Z][\w.&'-]*(?: |$)){1,4}?)(?=(?:analysts? )?(?:upgrade|downgrade|initiat|start|reiterat|"
    r"maintain|rais|cut|lower|trim|said)|\b(?:analyst|analysts)\b)"
)


def find_ratings(ctx: Context) -> list[Found]:
    s = ctx.sentence
    action_m = _RATING_ACTION.search(s)
    target_m = _PRICE_TARGET.search(s)
    if (
        action_m is not None
        and action_m.group("reit")
        and not re.search(
            rf"\b(?:{_RATINGS})(?: rating)?\b|\brating\b", s[action_m.end() : action_m.end() + 40], re.I
        )
    ):
        action_m = None  # "maintained its outlook" is not a rating
    if action_m is None and target_m is None:
        return []
    bare_target = target_m is not None and action_m is None and not target_m.group("verb")
    if bare_target and not re.search(r"\bprice target of\b", s, re.I):
        return []
    at = (action_m or target_m).start()  # type: ignore[union-attr]
    if negated(s, at):
        return []
    action = None
    if action_m is not None:
        action = next(k for k in ("up", "down", "init", "reit") if action_m.group(k))
        action = {"up": "upgrade", "down": "downgrade", "init": "initiate", "reit": "reiterate"}[action]
    attrs: Attributes = {
        "firm": None,
        "action": action,
        "from": None,
        "to": None,
        "price_target": None,
        "price_target_direction": None,
    }
    to_m = re.search(rf"\b(?:to|at|with an?|as an?|rating of)\s+(?:an?\s+)?[\"“']?({_RATINGS})\b", s, re.I)
    from_m = re.search(rf"\bfrom\s+(?:an?\s+)?[\"“']?({_RATINGS})\b", s, re.I)
    if to_m:
        attrs["to"] = to_m.group(1).lower()
    if from_m:
        attrs["from"] = from_m.group(1).lower()
    if target_m is not None:
        money = [a for a in find_amounts(s) if a.kind == "money"]
        after = [a for a in money if a.start >= target_m.start()]
        near = after or [a for a in money if target_m.start() - a.end < 12]
        if near:
            attrs["price_target"] = whole(near[0])
        verb = (target_m.group("verb") or "").lower()
        if verb:
            attrs["price_target_direction"] = "raised" if verb[:2] in {"ra", "li", "bo", "in"} else "lowered"
        if action is None:
            attrs["action"] = "reiterate" if not verb else f"price_target_{attrs['price_target_direction']}"
    firm = _firm(ctx, at)
    attrs["firm"] = firm
    about = next((p for p in ctx.parties if p.name != firm and p.symbol), None) or ctx.subject
    if about is not None and about.name == firm:
        about = None
    return [
        Found("analyst_rating", about.symbol if about else None, about.name if about else None, attrs, 0.8)
    ]


def _firm(ctx: Context, at: int) -> str | None:
    """The broker: an organisation named before the action ("Morgan Stanley upgraded ...")."""
    before = ctx.sentence[:at]
    by = re.search(r"\b(?:by|at|from)\s+((?:[A-Z][\w.&'-]*\s?){1,4})", ctx.sentence[at:])
    m = re.search(r"((?:[A-Z][\w.&'-]*\s){1,4})(?:analysts?\s)?$", before)
    if m and m.group(1).strip().lower() not in {"the", "analysts", "analyst"}:
        return m.group(1).strip()
    if by:
        return by.group(1).strip()
    return None
