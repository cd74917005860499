"""Typed market events in a sentence: deals (`scoring.deals`), earnings and guidance (`scoring.earnings`),
analyst ratings (`scoring.ratings`), dividends and buybacks (`scoring.payouts`), and here layoffs, legal
matters, executive changes, bankruptcies and offerings.

Rules over the sentence text and its linked mentions; negated events ("did not agree to buy") are
dropped, hedged deals ("in talks to buy") are kept with status ``rumored``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from core.records import EVENT_TYPES
from scoring import earnings
from scoring._events import HEDGED, RUMOR, Attributes, Context, Found, Party, about, negated, whole
from scoring.amounts import find_amounts
from scoring.deals import find_deals
from scoring.payouts import find_buybacks, find_dividends
from scoring.ratings import find_ratings

__all__ = ["EVENT_TYPES", "Context", "Found", "Party", "find_events"]


# --- earnings and guidance ---------------------------------------------------------------------------


def _results(ctx: Context) -> list[Found]:
    s = ctx.sentence
    out = []
    for finding in earnings.find(s):
        if finding.type == "earnings" and negated(s, finding.start) and finding.attributes["result"] is None:
            continue
        who = ctx.subject
        out.append(
            Found(
                finding.type,
                who.symbol if who else None,
                who.name if who else None,
                finding.attributes,
                finding.confidence,
            )
        )
    return out


_LAYOFF: Final = re.compile(
    r"\b(?:lay(?:ing)? off|laid off|lays off|layoffs?|job cuts?|(?:cut|cuts|cutting|eliminat(?:e|es|ed|ing)|"
    r"shed(?:s|ding)?|slash(?:es|ed|ing)?|reduc(?:e|es|ed|ing))\s+(?:about |around |roughly |some |nearly |"
    r"up to |more than |over )?(?:[\d,.]+%?|\w+ percent|\w+ thousand)?\s*(?:of its )?(?:jobs|workers|"
    r"employees|positions|staff|roles|workforce|headcount))",
    re.I,
)


def _layoffs(ctx: Context) -> list[Found]:
    s = ctx.sentence
    m = _LAYOFF.search(s)
    if m is None or negated(s, m.start()) or HEDGED.search(s[max(0, m.start() - 30) : m.start()]):
        return []
    amounts = find_amounts(s)
    count = next((a for a in amounts if a.kind == "count" and a.value >= 10), None)
    pct = next((a for a in amounts if a.kind == "percent"), None)
    attrs: Attributes = {"count": int(count.value) if count else None, "percent": pct.value if pct else None}
    return [about(ctx, "layoffs", attrs, 0.85 if count or pct else 0.65)]


_LEGAL_KINDS: Final = (
    (re.compile(r"\b(?:settle[sd]?|settling|settlement)\b", re.I), "settlement"),
    (re.compile(r"\b(?:fined|fines?|penalty|penalties|civil penalty)\b", re.I), "fine"),
    (
        re.compile(
            r"\b(?:sued|sues|suing|lawsuits?|class[- ]action|complaint against|filed suit|litigation)\b", re.I
        ),
        "lawsuit",
    ),
    (
        re.compile(
            r"\b(?:investigat(?:ion|ions|ing|es|ed)|probes?|probing|subpoena(?:ed|s)?|inquiry)\b", re.I
        ),
        "investigation",
    ),
)


def _legal(ctx: Context) -> list[Found]:
    s = ctx.sentence
    for pattern, kind in _LEGAL_KINDS:
        m = pattern.search(s)
        if m is None or negated(s, m.start()):
            continue
        if kind == "fine" and not re.search(r"\b(?:fined|fine of|penalty|pay)\b", s, re.I):
            continue
        money = [a for a in find_amounts(s) if a.kind == "money"]
        attrs: Attributes = {
            "kind": kind,
            "amount": whole(money[0]) if money else None,
            "currency": money[0].currency if money else None,
        }
        return [about(ctx, "legal", attrs, 0.75)]
    return []


_ROLES: Final = (
    r"chief executive officer|chief executive|chief financial officer|chief operating officer|"
    r"chief technology officer|CEO|CFO|COO|CTO|chair(?:man|woman|person)?|president|general counsel"
)
_ROLE: Final = re.compile(rf"\b(?:{_ROLES})\b", re.I)
_ROLE_NAMES: Final = {
    "chief executive officer": "CEO",
    "chief executive": "CEO",
    "chief financial officer": "CFO",
    "chief operating officer": "COO",
    "chief technology officer": "CTO",
}
_ARRIVE: Final = re.compile(
    r"\b(?:appoint(?:ed|s)|nam(?:ed|es)|hir(?:ed|es)|tapp(?:ed|s)|promot(?:ed|es)|elect(?:ed|s)|to succeed|"
    r"succeeds|will succeed|will become|becomes|joins|joined|as (?:its |the )?new)\b",
    re.I,
)
_LEAVE: Final = re.compile(
    r"\b(?:resign(?:ed|s|ing|ation)?|step(?:s|ped)? down|stepping down|retir(?:e|es|ed|ing|ement)|"
    r"depart(?:s|ed|ure)|ousted|fired|leav(?:e|es|ing)|left the company|exit(?:s|ed)?|terminated)\b",
    re.I,
)
_PERSON: Final = re.compile(r"\b([A-Z][a-z]+(?:\s[A-Z]\.)?(?:\s(?:van |de |von )?[A-Z][a-zA-Z'-]+){1,2})\b")


def _executive(ctx: Context) -> list[Found]:
    s = ctx.sentence
    role_m = _ROLE.search(s)
    if role_m is None:
        return []
    leave, arrive = _LEAVE.search(s), _ARRIVE.search(s)
    hit = leave or arrive
    if hit is None or negated(s, hit.start()) or HEDGED.search(s[: hit.start()]):
        return []
    if re.search(
        r"\b(?:said|says|told)\b", s[hit.start() - 25 : hit.start()] if hit.start() > 25 else "", re.I
    ):
        pass
    people = _people(s, {w for p in ctx.parties for w in p.name.split()})
    role = role_m.group().lower()
    attrs: Attributes = {
        "role": _ROLE_NAMES.get(role, role_m.group() if role_m.group().isupper() else role),
        "person": people[0] if people else None,
        "direction": "departure"
        if leave and (not arrive or leave.start() < arrive.start())
        else "appointment",
    }
    return [about(ctx, "executive_change", attrs, 0.75 if people else 0.6)]


_TITLE_WORDS: Final = frozenset(
    [
        "CEO",
        "CFO",
        "COO",
        "CTO",
        "Chief",
        "Executive",
        "Officer",
        "Financial",
        "Operating",
        "Technology",
        "President",
        "Chairman",
        "Chairwoman",
        "Chair",
        "General",
        "Counsel",
        "The",
        "Its",
        "New",
        "Interim",
        "Former",
        "Mr",
        "Ms",
        "Mrs",
        "Dr",
        "Co-founder",
        "Founder",
    ]
)


def _people(sentence: str, org_words: set[str]) -> list[str]:
    """Two- or three-word capitalised runs left once titles and company names are removed."""
    out = []
    for run in re.finditer(r"(?:[A-Z][a-zA-Z'.-]*\s?)+", sentence):
        tokens = [t for t in run.group().split() if t not in _TITLE_WORDS and t not in org_words]
        # Runs broken by a removed word restart there: "Intel CEO Pat Gelsinger" -> "Pat Gelsinger".
        current: list[str] = []
        for t in run.group().split():
            if t in _TITLE_WORDS or t in org_words:
                if 2 <= len(current) <= 3:
                    out.append(" ".join(current))
                current = []
            else:
                current.append(t.rstrip(".,"))
        if 2 <= len(current) <= 3:
            out.append(" ".join(current))
        del tokens
    return out


_BANKRUPTCY: Final = re.compile(
    r"\b(?:fil(?:ed|es|ing) for (?:chapter (?:11|7|15) )?(?:bankruptcy|creditor protection|insolvency)|"
    r"chapter (?:11|7|15)|bankruptcy (?:protection|filing|court)|went bankrupt|declared bankruptcy|"
    r"entered administration|insolvency proceedings)\b",
    re.I,
)


def _bankruptcy(ctx: Context) -> list[Found]:
    s = ctx.sentence
    m = _BANKRUPTCY.search(s)
    if m is None or negated(s, m.start()):
        return []
    chapter = re.search(r"chapter (11|7|15)", s, re.I)
    hedged = HEDGED.search(s[: m.start()]) is not None or re.search(r"\b(?:prepar|risk|warn)", s, re.I)
    attrs: Attributes = {
        "chapter": int(chapter.group(1)) if chapter else None,
        "status": "risk" if hedged else "filed",
    }
    return [about(ctx, "bankruptcy", attrs, 0.6 if hedged else 0.85)]


_OFFERING: Final = re.compile(
    r"\b(?:(?:initial )?public offering|IPO|secondary offering|follow-on offering|share (?:sale|offering)|"
    r"stock offering|equity offering|(?:convertible )?(?:senior )?notes offering|offering of|"
    r"(?:priced|prices|launched|launches) (?:an? |its )?(?:\$[\d.]+ \w+ )?(?:offering|sale)|"
    r"at-the-market)\b",
    re.I,
)


def _offering(ctx: Context) -> list[Found]:
    s = ctx.sentence
    m = _OFFERING.search(s)
    if m is None or negated(s, m.start()):
        return []
    acted = re.search(
        r"\b(?:pric|launch|rais|plan|fil|announc|prepar|set up|sell|sold|complet|upsiz|propos|will)\w*",
        s,
        re.I,
    )
    if acted is None and not find_amounts(s):
        return []
    text = s.lower()
    kind = "equity"
    if "ipo" in text or "initial public" in text:
        kind = "ipo"
    elif "convertible" in text:
        kind = "convertible"
    elif re.search(r"\b(?:notes|bonds|debt|debentures)\b", text):
        kind = "debt"
    money = [a for a in find_amounts(s) if a.kind == "money"]
    attrs: Attributes = {
        "kind": kind,
        "amount": whole(money[0]) if money else None,
        "currency": money[0].currency if money else None,
        "status": "rumored" if RUMOR.search(s[: m.start()]) else "announced",
    }
    return [about(ctx, "offering", attrs, 0.75)]


# --- the registry ------------------------------------------------------------------------------------

DETECTORS: list[Callable[[Context], list[Found]]] = [
    find_deals,
    _results,
    find_ratings,
    find_dividends,
    find_buybacks,
    _layoffs,
    _legal,
    _executive,
    _bankruptcy,
    _offering,
]


def find_events(ctx: Context) -> list[Found]:
    """Every event in one sentence, in detector order."""
    return [found for detect in DETECTORS for found in detect(ctx)]
