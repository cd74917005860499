"""Money, counts and percentages in text, normalised to numbers ("$2.9 billion" -> 2900000000)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

AmountKind = Literal["money", "percent", "count"]

_CURRENCY_SIGNS: Final[dict[str, str]] = {
    "$": "USD",
    "us$": "USD",
    "usd": "USD",
    "€": "EUR",
    "eur": "EUR",
    "£": "GBP",
    "gbp": "GBP",
    "¥": "JPY",
    "jpy": "JPY",
    "rs": "INR",
    "rs.": "INR",
    "inr": "INR",
    "₹": "INR",
    "c$": "CAD",
    "a$": "AUD",
}
_CURRENCY_WORDS: Final[dict[str, str]] = {
    "dollars": "USD",
    "dollar": "USD",
    "euros": "EUR",
    "pounds": "GBP",
    "yen": "JPY",
    "rupees": "INR",
}
_SCALES: Final[dict[str, float]] = {
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "mln": 1e6,
    "mn": 1e6,
    "m": 1e6,
    "billion": 1e9,
    "bln": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
    "crore": 1e7,
    "lakh": 1e5,
}

_SIGN = r"(?P<sign>US\$|C\$|A\$|[$€£¥₹]|(?:USD|EUR|GBP|JPY|INR|Rs\.?)\s?)"
_NUMBER = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
_SCALE = r"(?:\s?-?(?P<scale>thousand|million|billion|trillion|crore|lakh|mln|bln|mn|bn|tn|[kKmMbB])\b)?"
_WORD_CUR = r"(?:\s(?P<curword>dollars?|euros|pounds|yen|rupees))?"
_CENTS = r"(?P<cents>\d+(?:\.\d+)?)[- ]cents?(?:[- ](?P<centloss>loss|profit|gain))?"
_PAREN_NEG = r"(?P<open>\()?"

AMOUNT: Final = re.compile(
    rf"(?P<minus>-|−|minus\s|negative\s)?"
    rf"(?:{_CENTS}|{_PAREN_NEG}{_SIGN}?{_NUMBER}{_SCALE}{_WORD_CUR}"
    rf"(?P<pct>\s?%|\s(?:percent|per cent|pct)\b)?"
    rf"(?P<close>\))?)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Amount:
    """A normalised quantity: ``value`` in units (dollars, not millions; percent points for %)."""

    value: float
    kind: AmountKind
    currency: str | None
    start: int
    end: int


def _number(raw: str) -> float:
    return float(raw.replace(",", ""))


def find_amounts(text: str) -> list[Amount]:
    """Every quantity in ``text``, left to right; bare small integers and years are skipped."""
    out: list[Amount] = []
    for m in AMOUNT.finditer(text):
        if m.group("cents"):
            value = _number(m.group("cents")) / 100
            negative = (m.group("centloss") or "").lower() == "loss" or bool(m.group("minus"))
            out.append(Amount(-value if negative else value, "money", "USD", m.start(), m.end()))
            continue
        if not m.group("num"):
            continue
        # A hyphen right after a word or digit is a range dash ("$1.9 billion-$2.1 billion"), not a sign.
        minus = bool(m.group("minus")) and (m.start() == 0 or not text[m.start() - 1].isalnum())
        start = m.start() if minus else m.start() + len(m.group("minus") or "")
        value = _number(m.group("num"))
        scale_word = (m.group("scale") or "").lower()
        sign = (m.group("sign") or "").strip().lower()
        currency = _CURRENCY_SIGNS.get(sign) or _CURRENCY_WORDS.get((m.group("curword") or "").lower())
        if scale_word in {"m", "b", "k"} and not currency:
            scale_word = ""  # "5m" without a currency is too often minutes or metres
        value *= _SCALES.get(scale_word, 1.0)
        negative = minus or (bool(m.group("open")) and bool(m.group("close")) and currency is not None)
        if negative:
            value = -value
        end = m.end()
        if m.group("close") and not m.group("open"):
            end -= 1
        if m.group("pct"):
            out.append(Amount(value, "percent", None, start, end))
        elif currency:
            out.append(Amount(value, "money", currency, start, end))
        elif scale_word or "," in m.group("num"):
            out.append(Amount(value, "count", None, start, end))
        elif "." not in m.group("num") and 1900 <= value <= 2100:
            continue  # a year
        else:
            out.append(Amount(value, "count", None, start, end))
    return _share_range_scale(text, out)


def _share_range_scale(text: str, amounts: list[Amount]) -> list[Amount]:
    """ "$1.9-$2.1 billion" and "$1.9 to 2.1 billion": the first number takes the second's scale."""
    fixed = list(amounts)
    for i in range(len(fixed) - 1):
        first, second = fixed[i], fixed[i + 1]
        between = text[first.end : second.start].strip().lower()
        if between not in {"-", "–", "to", "and", "—"}:
            continue
        if first.kind == "count" and second.kind == "money":
            first = Amount(first.value, "money", second.currency, first.start, first.end)
        if first.kind == "money" and second.kind == "count":
            second = Amount(second.value, "money", first.currency, second.start, second.end)
            fixed[i + 1] = second
        if first.kind != second.kind or first.kind != "money":
            continue
        if abs(first.value) < 1e3 <= abs(second.value):
            scale = _scale_of(abs(second.value))
            first = Amount(first.value * scale, "money", second.currency, first.start, first.end)
        fixed[i] = first
    return fixed


def _scale_of(value: float) -> float:
    for scale in (1e12, 1e9, 1e6, 1e3):
        if value >= scale:
            return scale
    return 1.0
