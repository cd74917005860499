"""Earnings results and guidance changes in a sentence: metric, period, actual vs expected, beat/miss,
and guidance ranges with their direction. Works clause by clause, since one sentence often reports
revenue, EPS and guidance together."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from scoring.amounts import Amount, find_amounts

# Longest first so "adjusted EPS" wins over "EPS".
_METRICS: Final[tuple[tuple[str, str], ...]] = (
    (r"adjusted (?:earnings|profit) per share|adjusted EPS|adj\.? EPS|non-GAAP EPS|core EPS", "adjusted_eps"),
    (
        r"(?:diluted )?earnings per share|(?:diluted )?EPS|per-share (?:earnings|profit)|"
        r"(?:profit|loss|earnings) of [$\d.]+(?: cents?)? (?:a|per) share",
        "eps",
    ),
    (r"free[- ]cash[- ]flows?|FCF", "free_cash_flow"),
    (r"adjusted EBITDA|EBITDA", "ebitda"),
    (r"operating (?:income|profit)", "operating_income"),
    (r"net (?:income|profit|earnings)|(?:quarterly |annual )?profit|net loss", "net_income"),
    (r"(?:quarterly |annual )?earnings", "eps"),
    (r"gross margins?", "gross_margin"),
    (r"(?:total |net |quarterly |annual )?(?:revenues?|sales|turnover)", "revenue"),
)
METRIC: Final = re.compile("|".join(f"(?P<m{i}>\\b(?:{p})\\b)" for i, (p, _) in enumerate(_METRICS)), re.I)
_EXPECTED: Final = re.compile(
    r"\b(?:expected|expectations?|estimates?|estimated|consensus|forecasts?|projected|anticipated|"
    r"analysts'? (?:view|estimate|forecast)s?|Street|LSEG|FactSet|Zacks|polled)\b",
    re.I,
)
_VERSUS: Final = re.compile(
    r"\b(?:versus|vs\.?|compared (?:with|to)|against|above|below|topping|beating)\b", re.I
)
_BEAT: Final = re.compile(
    r"\b(?:beat|beats|beating|topped|tops|topping|exceeded|exceeds|surpassed|above|narrower than)\b", re.I
)
_MISS: Final = re.compile(
    r"\b(?:missed|misses|missing|fell short|below|short of|trailed|lagged|wider than)\b", re.I
)
_INLINE: Final = re.compile(r"\b(?:in line|in-line|matched|matching|met)\b", re.I)
_NEGATED_BEAT: Final = re.compile(
    r"\b(?:did not|didn't|failed to|could not|couldn't|not) (?:beat|top|exceed|surpass|meet)\b", re.I
)
_GUIDANCE: Final = re.compile(
    r"\b(?:guidance|outlook|forecasts?|projections?|(?<!price )targets?|guided|guides)\b", re.I
)
_DIRECTIONS: Final[tuple[tuple[str, str], ...]] = (
    (
        r"rais(?:ed|es|ing)|lift(?:ed|s|ing)|boost(?:ed|s|ing)|increas(?:ed|es|ing)|upped|hik(?:ed|es)",
        "raised",
    ),
    (
        r"lower(?:ed|s|ing)|cut(?:s|ting)?|reduc(?:ed|es|ing)|slash(?:ed|es)|trim(?:med|s)|downgrad(?:ed|es)",
        "lowered",
    ),
    (
        r"reaffirm(?:ed|s)?|reiterat(?:ed|es)|maintain(?:ed|s)|confirm(?:ed|s)|affirm(?:ed|s)|kept|stood by",
        "reaffirmed",
    ),
    (r"initiat(?:ed|es)|introduc(?:ed|es)|issu(?:ed|es)|provid(?:ed|es)|gave|set", "initiated"),
)
DIRECTION: Final = re.compile(
    "|".join(f"(?P<d{i}>\\b(?:{p})\\b)" for i, (p, _) in enumerate(_DIRECTIONS)), re.I
)
_NEGATION: Final = re.compile(r"\b(?:not|no|never|didn't|did not|won't|declined to|refused to)\b", re.I)
_HEDGE: Final = re.compile(r"\b(?:may|might|could|considering|weighing|would consider)\b", re.I)
_PERIOD: Final = re.compile(
    r"\b(?:(?P<q>Q[1-4])|(?P<h>H[12])|(?P<ord>first|second|third|fourth)[- ]quarter|"
    r"(?P<fy>full[- ]year|fiscal[- ]year|annual|FY ?\d{0,4}|(?:for|in) (?:fiscal )?20\d\d|year-end))\b",
    re.I,
)
_ORDINAL: Final = {"first": "Q1", "second": "Q2", "third": "Q3", "fourth": "Q4"}


@dataclass(frozen=True, slots=True)
class Finding:
    """One earnings or guidance fact; ``start``/``end`` bound its clause within the sentence."""

    type: str
    attributes: dict[str, str | int | float | bool | None]
    start: int
    end: int
    confidence: float


def metric_of(match: re.Match[str]) -> str:
    for i, (_, name) in enumerate(_METRICS):
        if match.group(f"m{i}"):
            return name
    raise AssertionError("a METRIC match names a group")  # pragma: no cover


def period_of(text: str) -> str | None:
    m = _PERIOD.search(text)
    if m is None:
        return None
    if m.group("q"):
        return m.group("q").upper()
    if m.group("h"):
        return m.group("h").upper()
    if m.group("ord"):
        return _ORDINAL[m.group("ord").lower()]
    return "FY"


def _clauses(sentence: str) -> list[tuple[int, int, str]]:
    """Split at each metric mention: (start, end, metric); a clause runs to the next metric."""
    hits = list(METRIC.finditer(sentence))
    out = []
    for i, m in enumerate(hits):
        end = hits[i + 1].start() if i + 1 < len(hits) else len(sentence)
        out.append((m.start(), end, metric_of(m)))
    return out


def _number(value: float) -> int | float:
    return round(value) if abs(value) >= 1000 else round(value, 4)


def _direction(text: str) -> tuple[str, re.Match[str]] | None:
    m = DIRECTION.search(text)
    if m is None:
        return None
    for i, (_, name) in enumerate(_DIRECTIONS):
        if m.group(f"d{i}"):
            return name, m
    return None  # pragma: no cover


def find(sentence: str) -> list[Finding]:
    """Earnings and guidance facts in one sentence."""
    out: list[Finding] = []
    clauses = _clauses(sentence)
    for idx, (start, end, metric) in enumerate(clauses):
        # A guidance clause may start before its metric ("raised full-year free cash flow guidance").
        lead_start = clauses[idx - 1][0] if idx else 0
        window = sentence[start:end]
        lead = sentence[max(lead_start, _clause_start(sentence, start)) : start]
        if _GUIDANCE.search(window[:60]) or (_GUIDANCE.search(lead) and not find_amounts(lead)):
            finding = _guidance(sentence, lead, window, start, end, metric)
        else:
            finding = _earnings(sentence, lead, window, start, end, metric)
        if finding is not None:
            out.append(finding)
    guide = _GUIDANCE.search(sentence)
    if guide is not None and not any(f.type == "guidance" for f in out):
        # Guidance without a metric of its own ("..., and raised its full-year outlook").
        begin = _clause_start(sentence, guide.start())
        finding = _guidance(
            sentence,
            sentence[begin : guide.start()],
            sentence[guide.start() :],
            guide.start(),
            len(sentence),
            None,
        )
        if finding is not None:
            out.append(finding)
    return out


def _clause_start(sentence: str, at: int) -> int:
    """Start of the clause holding ``at``: after the last comma/semicolon/"and" before it."""
    cut = max(sentence.rfind(",", 0, at), sentence.rfind(";", 0, at))
    return cut + 1 if cut >= 0 else 0


def _earnings(sentence: str, lead: str, window: str, start: int, end: int, metric: str) -> Finding | None:
    amounts = [a for a in find_amounts(window) if a.kind == "money"]
    if re.search(r"\bloss of\b", window, re.I):
        # "a loss of 12 cents a share": the amount is a loss.
        amounts = [Amount(-abs(a.value), a.kind, a.currency, a.start, a.end) for a in amounts]
    if re.search(r"\b(?:a|per) share\b|\bcents?\b", window, re.I) and metric == "net_income":
        metric = "eps"
    result: str | None = None
    context = lead + " " + window
    expected_at = _EXPECTED.search(context)
    if _GUIDANCE.search(window[:40]):
        return None
    if _NEGATED_BEAT.search(context):
        result = "miss"
    elif _INLINE.search(context) and expected_at:
        result = "inline"
    elif _BEAT.search(context) and (expected_at or amounts):
        result = "beat"
    elif _MISS.search(context) and (expected_at or amounts):
        result = "miss"
    if not amounts and result is None:
        return None
    if not amounts and not expected_at:
        return None
    actual, expected = _actual_expected(window, amounts)
    attrs: dict[str, str | int | float | bool | None] = {
        "period": period_of(sentence[:end]),
        "metric": metric,
        "actual": _number(actual.value) if actual else None,
        "expected": _number(expected.value) if expected else None,
        "currency": actual.currency if actual else expected.currency if expected else None,
    }
    if actual and expected and expected.value != 0:
        surprise = (actual.value - expected.value) / abs(expected.value) * 100
        attrs["surprise_pct"] = round(surprise, 2)
        if result is None:
            result = "inline" if abs(surprise) < 0.5 else ("beat" if surprise > 0 else "miss")
    else:
        attrs["surprise_pct"] = None
    if result is None and not expected_at:
        # A bare reported figure with no comparison is a result without a verdict.
        result = None
    attrs["result"] = result
    confidence = 0.9 if actual and expected else (0.75 if result else 0.6)
    return Finding("earnings", attrs, start, end, confidence)


def _actual_expected(window: str, amounts: list[Amount]) -> tuple[Amount | None, Amount | None]:
    if not amounts:
        return None, None
    if len(amounts) == 1:
        near = window[amounts[0].end : amounts[0].end + 40]
        before = window[max(0, amounts[0].start - 40) : amounts[0].start]
        if _EXPECTED.search(before) and not _VERSUS.search(before):
            return None, amounts[0]
        if _EXPECTED.search(near) and not _VERSUS.search(window[: amounts[0].start]):
            return amounts[0], None
        return amounts[0], None
    first, second = amounts[0], amounts[1]
    between = window[first.end : second.start]
    if not _EXPECTED.search(window) and not _VERSUS.search(between):
        return first, None  # "to $35 million from $120 million": the second is last year's figure
    # "estimates of $1.10, but earned $1.20": the expectation came first.
    if _EXPECTED.search(window[: first.start]) and not _VERSUS.search(between):
        return second, first
    return first, second


def _guidance(
    sentence: str, lead: str, window: str, start: int, end: int, metric: str | None
) -> Finding | None:
    context = lead + " " + window[:80]
    found = _direction(context)
    if found is None:
        return None
    direction, verb = found
    before_verb = context[: verb.start()]
    if _NEGATION.search(before_verb[-25:]):
        return None
    if _HEDGE.search(before_verb[-25:]):
        return None
    amounts = [a for a in find_amounts(window) if a.kind in {"money", "percent"}]
    low = high = previous = None
    currency = None
    frm = re.search(r"\bfrom\b", window)
    to = re.search(r"\bto\b", window)
    if frm and to and frm.start() < to.start():
        prev = [a for a in amounts if a.start > frm.start() and a.end <= to.start()]
        nxt = [a for a in amounts if a.start > to.start()]
        previous = prev[0].value if prev else None
        amounts = nxt or amounts
    elif frm and to:
        prev = [a for a in amounts if a.start > frm.start()]
        previous = prev[0].value if prev else None
        amounts = [a for a in amounts if a.end <= frm.start()] or amounts
    if amounts:
        low = amounts[0].value
        currency = amounts[0].currency
        high = low
        if len(amounts) > 1:
            between = window[amounts[0].end : amounts[1].start].strip().lower()
            if between in {"-", "–", "to", "and", "—"} or between.startswith("to"):
                high = amounts[1].value
    attrs: dict[str, str | int | float | bool | None] = {
        "metric": metric,
        "period": period_of(lead + " " + window) or "FY",
        "low": _number(low) if low is not None else None,
        "high": _number(high) if high is not None else None,
        "previous": _number(previous) if previous is not None else None,
        "direction": direction,
        "currency": currency,
    }
    lead_start = start - len(lead)
    return Finding("guidance", attrs, max(0, lead_start), end, 0.85 if low is not None else 0.7)
