"""Company-name aliases for entity linking: legal suffixes stripped, common short names, cashtags, and the
one-word aliases that are ordinary English words (so a linker can ask for more context before trusting them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.lower().split())


# Trailing tokens that name a legal form or a share class, not the business. Matched case-sensitively at
# the end of a name, after an optional comma, repeatedly ("Harmony Biosciences Holdings, Inc." ->
# "Harmony Biosciences"); the longest suffix is tried first ("and Company" before "Company").
LEGAL_SUFFIXES: tuple[str, ...] = (
    "Incorporated",
    "Inc.",
    "Inc",
    "Corporation",
    "Corp.",
    "Corp",
    "Company",
    "Companies",
    "& Co.",
    "& Co",
    "and Company",
    "Co.",
    "Co",
    "Limited",
    "Ltd.",
    "Ltd",
    "plc",
    "PLC",
    "p.l.c.",
    "LLC",
    "L.P.",
    "LP",
    "Holdings",
    "Holding",
    "Group",
    "N.V.",
    "NV",
    "S.A.",
    "SA",
    "AG",
    "SE",
    "N.A.",
    "Class A",
    "Class B",
    "Class C",
)

# Trailing words that describe what a company does; dropping one gives the name people actually write
# ("Lumen Technologies" -> "Lumen", "Meta Platforms" -> "Meta").
DESCRIPTORS: frozenset[str] = frozenset(
    {
        "Technologies",
        "Technology",
        "Systems",
        "Industries",
        "International",
        "Enterprises",
        "Brands",
        "Laboratories",
        "Labs",
        "Pharmaceuticals",
        "Pharmaceutical",
        "Therapeutics",
        "Biosciences",
        "Sciences",
        "Scientific",
        "Communications",
        "Networks",
        "Solutions",
        "Platforms",
        "Semiconductor",
        "Semiconductors",
        "Software",
        "Energy",
        "Resources",
        "Entertainment",
        "Interactive",
        "Worldwide",
        "Global",
        "Bancorp",
        "Bancshares",
        "Financial",
        "Motors",
        "Stores",
        "Foods",
        "Healthcare",
        "Pharma",
        "Electronics",
        "Aerospace",
        "Medical",
        "Instruments",
        "REIT",
        "Properties",
        "Realty",
        "Biologics",
    }
)

# A short name made of one of these alone names nobody in particular ("American Financial" -> "American").
GENERIC_SHORT_NAMES: frozenset[str] = frozenset(
    {
        "American",
        "America",
        "United",
        "General",
        "National",
        "International",
        "First",
        "Southern",
        "Northern",
        "Western",
        "Eastern",
        "Central",
        "Pacific",
        "Atlantic",
        "Global",
        "Universal",
        "Consolidated",
        "Federal",
        "Public",
        "Royal",
        "Standard",
        "Advanced",
        "Applied",
        "Integrated",
        "Digital",
        "Boston",
        "Texas",
        "California",
        "Florida",
        "Ohio",
        "New",
        "US",
        "U.S.",
        "City",
        "News",
        "Customers",
        "Minerals",
        "Cincinnati",
        "S&P",
    }
)

# Ordinary English words (and market terms) that are also one-word company aliases. Kept modest on purpose:
# words a reader would not take for the company without context ("shares of Target", not "the target").
# Household brand names that are rarely common nouns in financial prose (Apple, Amazon, Oracle, Lumen) are
# left out, and so are surnames and places (Ross, Dover).
COMMON_WORDS: frozenset[str] = _word_set(
    """
    Align Apogee Arm Ball Beacon Benchmark Block Booking Box Bread Buckle Cactus Carrier Catalyst Charter
    Coke Cooper Core Crescent Deluxe Diodes Dominion Duke Element Employers Enact Expand Extreme Fox
    Frontdoor Gap Gates Golden Griffon Harmonic Harmony Heritage Hub Insight Integer Interface Liberty
    Match Merchants Mercury Mosaic Nasdaq Noble Pool Principal Progress Progressive Prudential Radian
    Regions Rush Sabre Select Southside Square Stellar Strategy Stride Tapestry Target Travelers Trinity
    Triumph Vertex Visa Waters Yelp Zebra ICU PDF Dow Delta Southwest
    """
)

# Function words that a short name must never be ("NOW Inc" -> "NOW" would match every "now").
STOPWORDS: frozenset[str] = _word_set(
    """
    a all an and any are as at be best big but by can do for from go good has have he in is it key
    more most new next no not now of on one or our out real see she so that the this to up us we well
    """
)

_NOT_A_NAME = re.compile(r"^(?:[QH][1-4]|FY\d*)$")
_CASHTAG_SAFE = re.compile(r"^[A-Z][A-Z0-9.]*$")
_PARENTHETICAL = re.compile(r"\s*\([^)]*\)")
_SPACES = re.compile(r"\s+")


_SUFFIXES_LONGEST_FIRST = sorted(LEGAL_SUFFIXES, key=len, reverse=True)


def clean_name(name: str) -> str:
    """Normalise a display name: drop parentheticals ("Viasat (American company)"), unify quotes, spaces."""
    cleaned = _PARENTHETICAL.sub("", name).replace("\u2019", "'").replace("\u2013", "-")
    return _SPACES.sub(" ", cleaned).strip(" ,")


def strip_legal_suffixes(name: str) -> str:
    """Remove a leading "The" and trailing legal forms and share classes; never returns an empty string."""
    current = clean_name(name)
    if current.startswith("The ") and len(current) > 4:
        current = current[4:]
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES_LONGEST_FIRST:
            if current.endswith((" " + suffix, "," + suffix)):
                shorter = current[: -len(suffix)].rstrip(" ,")
                if shorter:
                    current = shorter
                    changed = True
                    break
    return current


def short_name(name: str) -> str | None:
    """The shorter name people write, made by dropping one descriptor word from the end of the stripped
    legal name ("Lumen Technologies" -> "Lumen"), or None when there is none."""
    words = strip_legal_suffixes(name).split(" ")
    if len(words) < 2 or words[-1] not in DESCRIPTORS:
        return None
    shorter = " ".join(words[:-1]).rstrip(" ,&")
    if not shorter or shorter.endswith(" and"):
        return None
    return shorter


def is_usable_alias(alias: str) -> bool:
    """Whether a derived alias can name a company at all. Multi-word names always can; a single word cannot
    when it is generic ("American"), a function word ("NOW"), two letters ("SM") or a period ("Q2")."""
    if " " in alias:
        return True
    return not (
        len(alias) < 3
        or alias in GENERIC_SHORT_NAMES
        or alias.lower() in STOPWORDS
        or _NOT_A_NAME.match(alias) is not None
    )


def cashtag(symbol: str) -> str:
    if not _CASHTAG_SAFE.match(symbol):
        raise ValueError(f"not a US ticker symbol: {symbol!r}")
    return "$" + symbol


def build_aliases(*, symbol: str, name: str, extra: Iterable[str] = ()) -> list[str]:
    """Every alias of one ticker, in a stable order without duplicates: full name, stripped name, short
    name (each when usable), curated extras (always), cashtag. Aliases that another company shares are
    removed afterwards, across the whole table, by `drop_colliding_aliases`."""
    derived = [strip_legal_suffixes(name), short_name(name)]
    candidates = [
        clean_name(name),
        *(alias for alias in derived if alias is not None and is_usable_alias(alias)),
        *(clean_name(alias) for alias in extra),
        cashtag(symbol),
    ]
    return list(dict.fromkeys(alias for alias in candidates if alias))


def drop_colliding_aliases(
    aliases_by_symbol: Mapping[str, list[str]],
    *,
    company_by_symbol: Mapping[str, str],
    protected: Mapping[str, Iterable[str]],
) -> dict[str, list[str]]:
    """Remove aliases that reach two different companies ("Constellation" for both Constellation Energy and
    Constellation Brands). Share classes of one company (GOOG and GOOGL) keep their common aliases, since
    `company_by_symbol` gives both the same key. Curated aliases in `protected` are always kept."""
    companies_by_alias: dict[str, set[str]] = {}
    for symbol, aliases in aliases_by_symbol.items():
        for alias in aliases:
            companies_by_alias.setdefault(alias.casefold(), set()).add(company_by_symbol[symbol])
    result: dict[str, list[str]] = {}
    for symbol, aliases in aliases_by_symbol.items():
        keep = {alias.casefold() for alias in protected.get(symbol, ())}
        result[symbol] = [
            alias
            for alias in aliases
            if alias.casefold() in keep or len(companies_by_alias[alias.casefold()]) == 1
        ]
    return result


def ambiguous_aliases(aliases: Iterable[str]) -> list[str]:
    """The one-word aliases that are also ordinary English words, in the order given."""
    return [alias for alias in aliases if " " not in alias and alias.lower() in COMMON_WORDS]
