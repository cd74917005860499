"""Acquisitions and mergers: acquirer, target, value, consideration and status (announced, completed,
terminated, rumored)."""

from __future__ import annotations

import re
from typing import Final

from scoring._events import RUMOR, Attributes, Context, Found, Party, negated, whole
from scoring.amounts import find_amounts

_ACQUIRE: Final = re.compile(
    r"\b(?P<verb>(?:to|will|would|could|may|might|agreed to|agrees to|offered to|offers to|bid to|"
    r"plans to)\s+(?:buy|acquire|purchase|take over|snap up)|(?:buys|bought|acquires|acquired|acquiring|"
    r"purchases|purchased|"
    r"snaps up|snapped up|takes over|took over)|(?:completed|completes|closed|closes|finalized|finalised|"
    r"terminated|terminates|scrapped|abandoned|called off) (?:its |the |a )?(?:\$?[\d.]+ \w+ )?"
    r"(?:acquisition|purchase|takeover|deal) (?:of|for)|(?:acquisition|purchase|takeover|buyout) of|"
    r"(?:bid|offer) for|to be acquired by|(?:was|is|will be|has been|were) acquired by|"
    r"agreed to be acquired by)\b",
    re.I,
)
_MERGE: Final = re.compile(
    r"\b(?:merge with|merger with|merge|merging with|combine with|combining with|merger of equals|"
    r"(?:approved|announced|completed|agreed to) (?:the |a )?merger)\b",
    re.I,
)
_NAME_AFTER: Final = re.compile(r"^\W*(?:(?:[a-z][\w-]*|\$?[\d.,]+)\s+){0,4}?((?:[A-Z][\w&.'-]*\s?){1,4})")
_NAME_BEFORE: Final = re.compile(r"((?:[A-Z][\w&.'-]*\s){1,4})(?:\w+\s){0,2}$")
_NOT_NAMES: Final = frozenset(
    ["The", "A", "An", "It", "Its", "This", "That", "Shareholders", "Regulators", "Analysts"]
)
_COMPLETED: Final = re.compile(
    r"\b(?:completed|completes|closed|closes|finalized|finalised|has acquired)\b", re.I
)
_TERMINATED: Final = re.compile(
    r"\b(?:terminated|terminates|scrapped|abandoned|called off|walked away|walks away|collapsed)\b", re.I
)
_CASH: Final = re.compile(r"\b(?:in cash|all-cash|cash deal|cash offer|for cash|cash transaction)\b", re.I)
_STOCK: Final = re.compile(r"\b(?:in stock|all-stock|stock deal|stock transaction|in shares)\b", re.I)
_MIXED: Final = re.compile(r"\b(?:cash and stock|stock and cash|cash-and-stock|cash and shares)\b", re.I)
_PRIVATE: Final = re.compile(r"\b(?:startup|start-up|privately[- ]held|private)\b", re.I)


def find_deals(ctx: Context) -> list[Found]:
    s = ctx.sentence
    m = _ACQUIRE.search(s)
    kind = "acquisition"
    if m is None:
        m = _MERGE.search(s)
        kind = "merger"
    if m is None or negated(s, m.start()):
        return []
    if m.group().lower().endswith("to buy") and re.search(r"grad\w+\s+(?:\w+\s+){0,3}$", s[: m.start()]):
        return []  # "upgraded to buy" is a rating
    passive = "acquired by" in m.group().lower()
    before = [p for p in ctx.parties if p.end <= m.start()]
    after = [p for p in ctx.parties if p.start >= m.end() - 3]
    first_after = after[0] if after else _bare_name(s[m.end() :], m.end())
    last_before = before[-1] if before else None
    if last_before is None:
        last_before = _bare_before(s[: m.start()])
        if last_before is None and ctx.subject is not None and ctx.subject.start < 0:
            last_before = ctx.subject  # named in an earlier sentence ("It agreed to buy ...")
    if passive:
        acquirer, target = first_after, last_before
    else:
        acquirer, target = last_before, first_after
    if kind == "merger":
        target = first_after or (before[-2] if len(before) > 1 else None)
    elif target is None and not (passive and acquirer is not None):
        return []
    if kind == "acquisition" and target is not None and acquirer is not None and target.name == acquirer.name:
        return []
    money = [a for a in find_amounts(s[m.start() :]) if a.kind == "money"]
    status = "announced"
    if re.search(r"\b(?:was|were|has been|had been) acquired\b", s, re.I):
        status = "completed"
    if _TERMINATED.search(s):
        status = "terminated"
    elif _COMPLETED.search(s):
        status = "completed"
    elif RUMOR.search(s):
        status = "rumored"
    consideration = None
    if _MIXED.search(s):
        consideration = "mixed"
    elif _CASH.search(s):
        consideration = "cash"
    elif _STOCK.search(s):
        consideration = "stock"
    # An organisation outside the reference table is taken as private unless the text says otherwise.
    target_type = None if target is None else "public" if target.symbol else "private"
    attrs: Attributes = {
        "acquirer": (acquirer.symbol or acquirer.name) if acquirer else None,
        "target": (target.symbol or target.name) if target else None,
        "target_type": target_type,
        "value": whole(money[0]) if money else None,
        "currency": money[0].currency if money else None,
        "consideration": consideration,
        "status": status,
    }
    if kind == "merger":
        attrs = {
            "party": attrs["target"],
            "value": attrs["value"],
            "currency": attrs["currency"],
            "consideration": consideration,
            "status": status,
        }
    who = acquirer or ctx.subject
    return [
        Found(kind, who.symbol if who else None, who.name if who else None, attrs, 0.85 if money else 0.7)
    ]


def _bare_name(text: str, offset: int) -> Party | None:
    """A capitalised name just after a deal verb, past lower-case descriptors ("cloud startup Wiz")."""
    m = _NAME_AFTER.match(text)
    if m is None:
        return None
    name = m.group(1).strip().rstrip(".,")
    if not name or name.split()[0] in _NOT_NAMES:
        return None
    return Party(name, None, offset + m.start(1), offset + m.start(1) + len(name))


def _bare_before(text: str) -> Party | None:
    m = re.search(
        r"((?:[A-Z][\w&.'-]*\s){1,4})(?:(?:said|says|has|have|had|is|it|will|would|on|\w+day)\s){0,3}$", text
    )
    if m is None:
        return None
    name = m.group(1).strip()
    if name.split()[0] in _NOT_NAMES:
        return None
    return Party(name, None, m.start(1), m.start(1) + len(name))
