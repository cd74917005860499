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
    "acquisition",
    "merger",
    "earnings",
    "guidance",
    "analyst_rating",
    "dividend",
    "buyback",
    "layoffs",
    "legal",
    "executive_change",
    "bankruptcy",
    "offering",
)


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
    r"declined to|ruled out|rejected|no plans (?:to|for)|has no|have no)\b(?:\W+\w+){0,3}\W*$",
    re.I,
)
_RUMOR: Final = re.compile(
    r"\b(?:in talks|talks to|exploring|explores|considering|considers|weighing|weighs|rumou?red|reportedly|"
    r"people familiar|sources said|could|may|might|possible|potential|mulls|mulling|eyes|eyeing|"
    r"approach(?:ed)?)\b",
    re.I,
)


def negated(sentence: str, at: int) -> bool:
    """Whether the trigger at ``at`` is negated by the few words before it."""
    return _NEGATED.search(sentence[max(0, at - 40) : at]) is not None


# --- deals -------------------------------------------------------------------------------------------

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


def _deal(ctx: Context) -> list[Found]:
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
    elif _RUMOR.search(s):
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
        "value": _whole(money[0]) if money else None,
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


def _whole(amount: Amount) -> int | float:
    return round(amount.value) if abs(amount.value) >= 1000 else round(amount.value, 4)


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


# --- analyst ratings --------------------------------------------------------------------------------

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


def _analyst(ctx: Context) -> list[Found]:
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
            attrs["price_target"] = _whole(near[0])
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


# --- capital returns, jobs, courts, people, distress, offerings --------------------------------------

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


def _dividend(ctx: Context) -> list[Found]:
    s = ctx.sentence
    m = _DIVIDEND.search(s)
    if m is None or re.search(r"\bdividend (?:yield|stocks?|investors?|funds?)\b", s, re.I):
        return []
    for pattern, action in _DIVIDEND_ACTIONS:
        hit = pattern.search(s)
        if hit is not None and abs(hit.start() - m.start()) < 60:
            if negated(s, hit.start()):
                return []
            if action == "declare" and _RUMOR.search(s[: hit.start()]):
                return []
            money = [a for a in find_amounts(s) if a.kind == "money"]
            to = re.search(r"\bto\s+\$", s)
            if to is not None:
                money = [a for a in money if a.start >= to.end() - 1] or money
            pct = [a for a in find_amounts(s) if a.kind == "percent"]
            attrs: Attributes = {
                "action": action,
                "amount": _whole(money[0]) if money else None,
                "currency": money[0].currency if money else None,
                "change_pct": pct[0].value if pct else None,
            }
            return [_about(ctx, "dividend", attrs, 0.8)]
    return []


_BUYBACK: Final = re.compile(
    r"\b(?:buy ?backs?|share repurchases?|stock repurchases?|repurchase (?:program|plan|authori[sz]ation)|"
    r"(?:buy|bought|buying) back|repurchas(?:e|ed|ing) (?:up to )?(?:\$|its|shares|common))",
    re.I,
)


def _buyback(ctx: Context) -> list[Found]:
    s = ctx.sentence
    m = _BUYBACK.search(s)
    if m is None or negated(s, m.start()) or _HEDGED_START.search(s[: m.start()]):
        return []
    if re.search(r"\b(?:suspend|halt|paus)\w*\b", s, re.I):
        return [_about(ctx, "buyback", {"action": "suspend", "amount": None, "currency": None}, 0.75)]
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
        "amount": _whole(money[0]) if money else None,
        "currency": money[0].currency if money else None,
    }
    return [_about(ctx, "buyback", attrs, 0.8 if money else 0.65)]


_HEDGED_START: Final = re.compile(
    r"\b(?:could|may|might|considering|weighing|would consider|plans? to study)\b", re.I
)
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
    if m is None or negated(s, m.start()) or _HEDGED_START.search(s[max(0, m.start() - 30) : m.start()]):
        return []
    amounts = find_amounts(s)
    count = next((a for a in amounts if a.kind == "count" and a.value >= 10), None)
    pct = next((a for a in amounts if a.kind == "percent"), None)
    attrs: Attributes = {"count": int(count.value) if count else None, "percent": pct.value if pct else None}
    return [_about(ctx, "layoffs", attrs, 0.85 if count or pct else 0.65)]


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
            "amount": _whole(money[0]) if money else None,
            "currency": money[0].currency if money else None,
        }
        return [_about(ctx, "legal", attrs, 0.75)]
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
    if hit is None or negated(s, hit.start()) or _HEDGED_START.search(s[: hit.start()]):
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
    return [_about(ctx, "executive_change", attrs, 0.75 if people else 0.6)]


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
    hedged = _HEDGED_START.search(s[: m.start()]) is not None or re.search(r"\b(?:prepar|risk|warn)", s, re.I)
    attrs: Attributes = {
        "chapter": int(chapter.group(1)) if chapter else None,
        "status": "risk" if hedged else "filed",
    }
    return [_about(ctx, "bankruptcy", attrs, 0.6 if hedged else 0.85)]


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
        "amount": _whole(money[0]) if money else None,
        "currency": money[0].currency if money else None,
        "status": "rumored" if _RUMOR.search(s[: m.start()]) else "announced",
    }
    return [_about(ctx, "offering", attrs, 0.75)]


def _about(ctx: Context, kind: str, attrs: Attributes, confidence: float) -> Found:
    who = ctx.subject
    return Found(kind, who.symbol if who else None, who.name if who else None, attrs, confidence)


# --- the registry ------------------------------------------------------------------------------------

DETECTORS: list[Callable[[Context], list[Found]]] = [
    _deal,
    _results,
    _analyst,
    _dividend,
    _buyback,
    _layoffs,
    _legal,
    _executive,
    _bankruptcy,
    _offering,
]


def find_events(ctx: Context) -> list[Found]:
    """Every event in one sentence, in detector order."""
    return [found for detect in DETECTORS for found in detect(ctx)]
