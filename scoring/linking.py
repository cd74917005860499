"""Entity linking: company mentions found by name, alias, cashtag or exchange tag and resolved against the
reference ticker table; organisations outside the table; "the company" / "it" attached to the last company.

Single-word aliases that are ordinary English words ("Target", "Gap", "Block", "Visa", "Lumen") link only
when capitalised and either backed by a stronger mention of the same company in the article (full name,
cashtag, exchange tag) or followed by a company cue ("Target said", "Gap shares").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final, Literal

from core.records import TickerRef
from scoring.text import Span, words

MentionKind = Literal["name", "weak", "cashtag", "exchange", "symbol", "org", "coref"]

_LEGAL_SUFFIXES: Final = frozenset(
    [
        "inc",
        "inc.",
        "incorporated",
        "corp",
        "corp.",
        "corporation",
        "co",
        "co.",
        "company",
        "ltd",
        "ltd.",
        "limited",
        "plc",
        "llc",
        "lp",
        "n.v.",
        "nv",
        "s.a.",
        "sa",
        "ag",
        "se",
        "the",
        "class",
        "a",
        "b",
        "c",
        "ordinary",
        "shares",
        "common",
        "stock",
        "adr",
        "ads",
    ]
)
_GENERIC_TAILS: Final = frozenset(
    [
        "technologies",
        "technology",
        "holdings",
        "holding",
        "group",
        "systems",
        "industries",
        "international",
        "enterprises",
        "brands",
        "communications",
        "solutions",
        "services",
        "networks",
        "laboratories",
        "labs",
        "pharmaceuticals",
    ]
)
_COMPANY_CUES: Final = frozenset(
    [
        "inc",
        "corp",
        "co",
        "ltd",
        "plc",
        "shares",
        "stock",
        "said",
        "says",
        "reported",
        "reports",
        "posted",
        "announced",
        "agreed",
        "beat",
        "beats",
        "missed",
        "misses",
        "raised",
        "raises",
        "cut",
        "cuts",
        "lowered",
        "lifted",
        "unveiled",
        "unveils",
        "launched",
        "launches",
        "plans",
        "expects",
        "shareholders",
        "investors",
        "ceo",
        "cfo",
        "chief",
        "executive",
        "will",
        "would",
        "has",
        "had",
        "is",
        "was",
        "sales",
        "revenue",
        "earnings",
        "profit",
        "results",
        "stock's",
    ]
)
_ORG_SUFFIXES: Final = frozenset(
    ["inc", "corp", "corporation", "ltd", "llc", "plc", "group", "holdings", "co", "technologies", "labs"]
)
# Words before a capitalised name that say it is an organisation ("startup Alkira", "acquire Zendo").
_ORG_LEADS: Final = frozenset(
    [
        "startup",
        "start-up",
        "company",
        "firm",
        "rival",
        "maker",
        "provider",
        "developer",
        "buy",
        "buying",
        "bought",
        "acquire",
        "acquiring",
        "acquired",
        "acquisition",
        "takeover",
        "merge",
        "merging",
        "unit",
        "subsidiary",
        "partner",
        "lender",
        "insurer",
        "retailer",
        "carrier",
        "bank",
        "fund",
        "vendor",
        "supplier",
        "competitor",
        "peer",
    ]
)
_NOT_ORGS: Final = frozenset(
    [
        "i",
        "a",
        "an",
        "the",
        "q1",
        "q2",
        "q3",
        "q4",
        "h1",
        "h2",
        "fy",
        "ai",
        "ceo",
        "cfo",
        "coo",
        "eps",
        "ebitda",
        "gaap",
        "us",
        "u.s",
        "u.k",
        "eu",
        "uk",
        "usd",
        "fed",
        "sec",
        "ipo",
        "etf",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ]
)
_ANAPHORS: Final = re.compile(
    r"\b(?:[Tt]he (?:company|firm|group|carrier|bank|lender|insurer|retailer|automaker|chipmaker|"
    r"maker|operator|producer|business|conglomerate|giant|provider)|[Ii]ts?|[Tt]hey|[Tt]heir)\b"
)
_EXCHANGE_TAG: Final = re.compile(
    r"\b(?:NYSE(?:\s?American|\s?Arca)?|NASDAQ|Nasdaq|NasdaqGS|NasdaqGM|AMEX|TSX|LSE|OTC|OTCQX|NYSEAMERICAN)"
    r"\s?:\s?([A-Z][A-Z0-9.\-]{0,6})\b"
)
_CASHTAG: Final = re.compile(r"(?<![\w$])\$([A-Z][A-Z0-9.]{0,6})\b")
_MAX_ALIAS_TOKENS: Final = 6


@cache
def common_words() -> frozenset[str]:
    path = Path(__file__).resolve().parent / "artifacts" / "common_words.txt"
    return frozenset(path.read_text(encoding="utf-8").split())


@dataclass(frozen=True, slots=True)
class Mention:
    """A reference to an organisation in one section; ``symbol`` is None outside the ticker table."""

    symbol: str | None
    name: str
    kind: MentionKind
    section: Literal["title", "body"]
    start: int
    end: int


def _tokens(name: str) -> tuple[str, ...]:
    return tuple(t.text.lower().replace("’", "'") for t in words(name))


def short_names(ref: TickerRef) -> set[str]:
    """The name, its aliases, and the name without legal suffix and one generic tail word."""
    names = {ref.name, *ref.aliases}
    base = [t.text for t in words(ref.name)]
    while base and base[-1].lower().rstrip(".") in _LEGAL_SUFFIXES | {"inc", "corp", "co", "ltd"}:
        base.pop()
    if base and base[0].lower() == "the":
        base.pop(0)
    if base:
        names.add(" ".join(base))
        if len(base) > 1 and base[-1].lower() in _GENERIC_TAILS and len(base[0]) >= 3:
            names.add(" ".join(base[:-1]))
    return {n for n in names if n.strip()}


class AliasIndex:
    """Every name a ticker may be called by, as lower-cased token tuples."""

    def __init__(self, tickers: Sequence[TickerRef]) -> None:
        self.by_symbol: dict[str, TickerRef] = {}
        self._names: dict[tuple[str, ...], str] = {}
        for ref in tickers:
            self.by_symbol.setdefault(ref.symbol.upper(), ref)
            for name in sorted(short_names(ref)):
                key = _tokens(name)
                # Two tickers sharing a name (share classes): the first in the table keeps it.
                if key and len(key) <= _MAX_ALIAS_TOKENS:
                    self._names.setdefault(key, ref.symbol.upper())
        # Most capitalised words start no name: one set look-up rules them out.
        self.first_tokens: frozenset[str] = frozenset(key[0] for key in self._names)

    def lookup(self, key: tuple[str, ...]) -> str | None:
        return self._names.get(key)

    def __len__(self) -> int:
        return len(self.by_symbol)


def _is_capitalised(token: str) -> bool:
    return token[:1].isupper() or token[:1].isdigit() or token[:1] == "$"


def find_mentions(index: AliasIndex, text: str, section: Literal["title", "body"]) -> list[Mention]:
    """Mentions in one section, left to right, without overlaps; weak ones still unconfirmed."""
    found: list[Mention] = []
    taken: set[int] = set()
    tags: tuple[tuple[re.Pattern[str], MentionKind], ...] = (
        (_EXCHANGE_TAG, "exchange"),
        (_CASHTAG, "cashtag"),
    )
    for pattern, tag_kind in tags:
        for m in pattern.finditer(text):
            symbol = m.group(1).upper()
            if symbol in index.by_symbol and not taken.intersection(range(m.start(), m.end())):
                found.append(Mention(symbol, symbol, tag_kind, section, m.start(), m.end()))
                taken.update(range(m.start(), m.end()))
    toks = [t for t in words(text) if t.start not in taken]
    # As written ("Kohl's", "McDonald's": the 's is part of the name), then without a possessive
    # ("Kroger's results"): both are tried, as written first.
    raw = [t.text.lower().replace("’", "'") for t in toks]
    keys = [k.removesuffix("'s") for k in raw]
    # Every word of a mention but short joiners ("of", "&") must be capitalised.
    allowed = [_is_capitalised(t.text) or len(t.text) <= 3 for t in toks]
    dictionary = common_words()
    i = 0
    while i < len(toks):
        match = _longest_alias(index, toks, raw, keys, allowed, i)
        if match is None:
            i += 1
            continue
        length, symbol = match
        first, last = toks[i], toks[i + length - 1]
        surface = text[first.start : last.end]
        kind: MentionKind = "name"
        if length == 1 and surface.lower() in dictionary:
            kind = "weak"
        found.append(Mention(symbol, surface, kind, section, first.start, last.end))
        i += length
    return sorted(found, key=lambda m: m.start)


def _longest_alias(
    index: AliasIndex, toks: list[Span], raw: list[str], keys: list[str], allowed: list[bool], i: int
) -> tuple[int, str] | None:
    if not _is_capitalised(toks[i].text) or (
        raw[i] not in index.first_tokens and keys[i] not in index.first_tokens
    ):
        return None
    for length in range(min(_MAX_ALIAS_TOKENS, len(toks) - i), 0, -1):
        if not all(allowed[i : i + length]):
            continue
        symbol = index.lookup(tuple(raw[i : i + length])) or index.lookup(tuple(keys[i : i + length]))
        if symbol is not None:
            return length, symbol
    return None


def confirm_weak(mentions: list[Mention], texts: dict[str, str]) -> list[Mention]:
    """Keep a weak (dictionary-word) mention when the article backs it with a stronger mention, when its
    next word is a company cue ("Target said"), or when it is capitalised mid-sentence in running text,
    where capitals mark a proper noun; at a sentence start or in a Title Case headline they do not."""
    strong = {m.symbol for m in mentions if m.kind != "weak"}
    kept = []
    for m in mentions:
        if m.kind == "weak" and m.symbol not in strong:
            text = texts[m.section]
            following = text[m.end : m.end + 24]
            next_word = re.match(r"(?:'s|’s)?\s*([A-Za-z']+)", following)
            cue = next_word is not None and next_word.group(1).lower() in _COMPANY_CUES
            if not cue and (_sentence_initial(text, m.start) or _title_case(text, m.start)):
                continue
        kept.append(m)
    return kept


def _sentence_initial(text: str, at: int) -> bool:
    before = text[:at].rstrip(" \t\"'“‘(")
    return not before or before[-1] in ".!?:;\n-–—"


def _title_case(text: str, at: int) -> bool:
    """Whether the line around ``at`` is a headline in Title Case (most longer words capitalised)."""
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    line_words: list[str] = re.findall(r"[A-Za-z][\w'’-]*", text[start : end if end >= 0 else None])
    long_words = [w for w in line_words if len(w) > 3]
    return len(long_words) >= 3 and sum(w[0].isupper() for w in long_words) / len(long_words) > 0.6


def find_orgs(text: str, section: Literal["title", "body"], linked: list[Mention]) -> list[Mention]:
    """Organisations outside the ticker table: capitalised names after an organisation word or before
    a legal suffix ("startup Alkira", "Zendo Inc")."""
    covered: set[int] = set()
    for m in linked:
        covered.update(range(m.start, m.end))
    toks = words(text)
    out: list[Mention] = []
    i = 0
    dictionary = common_words()
    while i < len(toks):
        tok = toks[i]
        if tok.start in covered or not tok.text[:1].isupper() or tok.text.lower() in _NOT_ORGS:
            i += 1
            continue
        j = i
        while (
            j + 1 < len(toks)
            and toks[j + 1].text[:1].isupper()
            and toks[j + 1].start not in covered
            and text[toks[j].end : toks[j + 1].start] == " "
        ):
            j += 1
        prev = toks[i - 1].text.lower() if i > 0 else ""
        tail = toks[j].text.lower().rstrip(".")
        name_toks = toks[i : j + 1]
        if (tail in _ORG_SUFFIXES and j > i) or (
            prev in _ORG_LEADS and not (len(name_toks) == 1 and tok.text.lower() in dictionary)
        ):
            out.append(Mention(None, text[tok.start : toks[j].end], "org", section, tok.start, toks[j].end))
        i = j + 1
    return out


def resolve_known_orgs(mentions: list[Mention], texts: dict[str, str]) -> list[Mention]:
    """Later bare mentions of an organisation found earlier ("Alkira" after "startup Alkira")."""
    names = {m.name for m in mentions if m.kind == "org"}
    extra: list[Mention] = []
    covered = {(m.section, i) for m in mentions for i in range(m.start, m.end)}
    for name in names:
        for section, text in texts.items():
            extra.extend(
                Mention(None, name, "org", section, m.start(), m.end())  # type: ignore[arg-type]
                for m in re.finditer(rf"(?<![\w$]){re.escape(name)}(?![\w])", text)
                if (section, m.start()) not in covered
            )
    return sorted(mentions + extra, key=lambda m: (m.section != "title", m.start))


def has_anaphor(sentence: str) -> bool:
    return _ANAPHORS.search(sentence) is not None
