"""Builds `seeds/tickers.json` from the index constituents that pytickersymbols ships (a dev dependency):
`python -m seeds.build_tickers`. The JSON is committed, so nothing at run time needs pytickersymbols.

Symbols follow the US listing convention with a dot for share classes: "BRK.B", "BF.B" (not Yahoo's "BRK-B").
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypedDict

from seeds.aliases import (
    ambiguous_aliases,
    build_aliases,
    clean_name,
    drop_colliding_aliases,
    strip_legal_suffixes,
)

# US indices whose constituents we seed. pytickersymbols 1.17 has no S&P 400; if a later version adds
# it under this name, it is picked up.
INDICES: tuple[str, ...] = ("S&P 500", "S&P 400", "S&P 600", "NASDAQ 100")

TICKERS_PATH = Path(__file__).with_name("tickers.json")

GICS_SECTORS: tuple[str, ...] = (
    # When a company carries several sector labels, the first in this order wins: the specific sector
    # beats the broad one (Utilities over Energy, Real Estate over Financials, Health Care over Utilities).
    "Health Care",
    "Information Technology",
    "Communication Services",
    "Real Estate",
    "Utilities",
    "Consumer Discretionary",
    "Consumer Staples",
    "Financials",
    "Materials",
    "Industrials",
    "Energy",
)

# Labels pytickersymbols mixes into `industries` that are sectors in other vocabularies, not industries.
SECTOR_LIKE_LABELS: frozenset[str] = frozenset(
    {
        *GICS_SECTORS,
        "Technology",
        "Information technology",
        "Healthcare",
        "Financial services",
        "Consumer Cyclicals",
        "Consumer Non-Cyclicals",
        "Basic Materials",
        "Real estate",
        "Industrial Goods",
        "Utilities",
        "Manufacturing",
    }
)

# Upstream names that are wrong or dated (APO, AIZ and MHK carry another company's name in 1.17).
NAME_OVERRIDES: Mapping[str, str] = {
    "GOOGL": "Alphabet Inc. Class A",
    "GOOG": "Alphabet Inc. Class C",
    "APO": "Apollo Global Management",
    "AIZ": "Assurant",
    "MHK": "Mohawk Industries",
    "PDD": "PDD Holdings",
    "NSC": "Norfolk Southern",
    "CNR": "Core Natural Resources",
    "RNST": "Renasant Corporation",
    "EBAY": "eBay",
    "PLUS": "ePlus",
    "AMN": "AMN Healthcare Services, Inc.",
    "MSTR": "Strategy Inc",
    "DOW": "Dow Inc.",
}

SECTOR_OVERRIDES: Mapping[str, str] = {
    "ALNY": "Health Care",
    "INSM": "Health Care",
    "ARM": "Information Technology",
    "ASML": "Information Technology",
    "MRVL": "Information Technology",
    "MSTR": "Information Technology",
    "SHOP": "Information Technology",
    "TEAM": "Information Technology",
    "ZS": "Information Technology",
    "CCEP": "Consumer Staples",
    "MELI": "Consumer Discretionary",
    "PDD": "Consumer Discretionary",
    "TRI": "Industrials",
}

# Well-known names that no suffix rule derives. Always kept, even when they would collide.
ALIAS_OVERRIDES: Mapping[str, tuple[str, ...]] = {
    "GOOGL": ("Alphabet", "Google"),
    "GOOG": ("Alphabet", "Google"),
    "META": ("Meta", "Facebook"),
    "JPM": ("JPMorgan", "JP Morgan", "J.P. Morgan"),
    "JNJ": ("J&J",),
    "PG": ("P&G",),
    "XOM": ("Exxon", "Exxon Mobil"),
    "CVX": ("Chevron",),
    "BRK.B": ("Berkshire",),
    "KO": ("Coca-Cola", "Coke"),
    "DIS": ("Disney",),
    "BAC": ("BofA",),
    "GS": ("Goldman",),
    "LLY": ("Eli Lilly", "Lilly"),
    "MRK": ("Merck",),
    "GE": ("GE", "General Electric"),
    "T": ("AT&T",),
    "TMUS": ("T-Mobile",),
    "AMD": ("Advanced Micro Devices",),
    "IBM": ("International Business Machines",),
    "ADP": ("Automatic Data Processing",),
    "BK": ("BNY Mellon", "Bank of New York Mellon"),
    "FIS": ("Fidelity National Information Services",),
    "XYZ": ("Block", "Square", "Cash App"),
    "PDD": ("Pinduoduo", "Temu"),
    "MSTR": ("MicroStrategy",),
    "LUMN": ("Lumen", "CenturyLink"),
    "HPQ": ("HP",),
    "UNH": ("UnitedHealth",),
    "WMT": ("Walmart",),
    "MMM": ("3M",),
    "DE": ("Deere",),
    "HPE": ("HPE",),
    "BDX": ("Becton Dickinson", "Becton, Dickinson and Company", "BD"),
    "AAPL": ("Apple",),
    "MSFT": ("Microsoft",),
    "AMZN": ("Amazon", "AWS"),
    "NVDA": ("Nvidia", "NVIDIA"),
    "CMCSA": ("Comcast", "NBCUniversal"),
    "PM": ("Philip Morris",),
    "MO": ("Altria",),
    "MCD": ("McDonald's",),
    "WBD": ("Warner Bros. Discovery", "Warner Bros"),
    "F": ("Ford",),
    "DOW": ("Dow Chemical",),
    "CMG": ("Chipotle",),
    "DAL": ("Delta",),
    "LUV": ("Southwest",),
    "EL": ("Estee Lauder",),
}


class TickerRecord(TypedDict):
    symbol: str
    name: str
    exchange: str | None
    sector: str | None
    industry: str | None
    aliases: list[str]
    ambiguous_aliases: list[str]


# Added when the installed pytickersymbols lacks them: the reference example needs LUMN.
MANUAL_TICKERS: tuple[dict[str, Any], ...] = (
    {
        "symbol": "LUMN",
        "name": "Lumen Technologies",
        "industries": ["Communication Services", "Telecommunications"],
        "metadata": {"traded_as": "NYSE : LUMN"},
    },
)

_EXCHANGES: Mapping[str, str] = {
    "NYSE": "NYSE",
    "NYSE American": "NYSE American",
    "NYSE Arca": "NYSE Arca",
    "NYSEAMERICAN": "NYSE American",
    "NYSEARCA": "NYSE Arca",
    "AMEX": "NYSE American",
    "Nasdaq": "NASDAQ",
    "NASDAQ": "NASDAQ",
    "Cboe BZX": "Cboe BZX",
    "BATS": "Cboe BZX",
}
_TRADED_AS = re.compile(
    r"(NYSE American|NYSE Arca|NYSE|Nasdaq|NASDAQ|AMEX|Cboe BZX)\s*:\s*([A-Z][A-Z0-9.\-]*)"
)
# Wikipedia's list fields arrive glued together: "Health care Medical devices Pharmaceutical".
_GLUED_LABEL = re.compile(r"\b[a-z][a-z]*\s+[A-Z]")


def exchange_of(stock: Mapping[str, Any]) -> str | None:
    """The US exchange that lists this symbol: from the company's "traded as" line when it names this very
    symbol (Wikipedia, more current), else from the Google Finance prefix, else unknown."""
    symbol = stock["symbol"]
    traded_as = (stock.get("metadata") or {}).get("traded_as") or ""
    for venue, listed in _TRADED_AS.findall(traded_as):
        if listed == symbol:
            return _EXCHANGES[venue]
    for listing in stock.get("symbols") or ():
        venue, _, listed = str(listing.get("google", "")).partition(":")
        if listed == symbol and venue in _EXCHANGES:
            return _EXCHANGES[venue]
    return None


def sector_of(symbol: str, labels: Iterable[str]) -> str | None:
    if symbol in SECTOR_OVERRIDES:
        return SECTOR_OVERRIDES[symbol]
    present = set(labels)
    return next((sector for sector in GICS_SECTORS if sector in present), None)


def industry_of(labels: Iterable[str]) -> str | None:
    """The first label (upstream sorts them) that is neither a sector nor glued-together list text."""
    for label in labels:
        tidy = re.sub(r"\s+([,)])", r"\1", label).replace("( ", "(").strip()
        if tidy in SECTOR_LIKE_LABELS or _GLUED_LABEL.search(tidy) or tidy.startswith("List of"):
            continue
        return tidy
    return None


def load_constituents(indices: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Stocks by symbol across the given indices, merging the copies one stock has in several indices."""
    from pytickersymbols import PyTickerSymbols  # dev-only dependency, needed to rebuild and nowhere else

    source = PyTickerSymbols()
    available = set(source.get_all_indices())
    stocks: dict[str, dict[str, Any]] = {}
    for index in indices:
        if index not in available:
            continue
        for stock in source.get_stocks_by_index(index):
            merged = stocks.setdefault(stock["symbol"], {**stock, "industries": []})
            merged["industries"] = sorted({*merged["industries"], *stock.get("industries", ())})
            if not merged.get("metadata") and stock.get("metadata"):
                merged["metadata"] = stock["metadata"]
    for manual in MANUAL_TICKERS:
        stocks.setdefault(manual["symbol"], dict(manual))
    return stocks


def build_records(stocks: Mapping[str, Mapping[str, Any]]) -> list[TickerRecord]:
    names = {
        symbol: clean_name(NAME_OVERRIDES.get(symbol, stock["name"])) for symbol, stock in stocks.items()
    }
    raw_aliases = {
        symbol: build_aliases(symbol=symbol, name=names[symbol], extra=ALIAS_OVERRIDES.get(symbol, ()))
        for symbol in stocks
    }
    # Share classes of one company ("Alphabet Inc. Class A" / "Class C") count as one company.
    company = {symbol: strip_legal_suffixes(name) for symbol, name in names.items()}
    aliases_by_symbol = drop_colliding_aliases(
        raw_aliases, company_by_symbol=company, protected=ALIAS_OVERRIDES
    )
    records: list[TickerRecord] = []
    for symbol in sorted(stocks):
        stock = stocks[symbol]
        labels = stock.get("industries") or ()
        aliases = aliases_by_symbol[symbol]
        records.append(
            TickerRecord(
                symbol=symbol,
                name=names[symbol],
                exchange=exchange_of(stock),
                sector=sector_of(symbol, labels),
                industry=industry_of(labels),
                aliases=aliases,
                ambiguous_aliases=ambiguous_aliases(aliases),
            )
        )
    return records


def dump_records(records: Iterable[TickerRecord]) -> str:
    """One ticker per line: valid JSON that still diffs line by line when the constituents change."""
    lines = [json.dumps(record, ensure_ascii=False) for record in records]
    return "[\n" + ",\n".join(lines) + "\n]\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m seeds.build_tickers", description=__doc__)
    parser.add_argument("--output", type=Path, default=TICKERS_PATH)
    args = parser.parse_args(argv)
    stocks = load_constituents(INDICES)
    for symbol in sorted({*NAME_OVERRIDES, *SECTOR_OVERRIDES, *ALIAS_OVERRIDES} - set(stocks)):
        print(f"warning: override for {symbol}, which no seeded index lists", file=sys.stderr)
    records = build_records(stocks)
    args.output.write_text(dump_records(records), encoding="utf-8")
    alias_count = sum(len(record["aliases"]) for record in records)
    print(f"{args.output}: {len(records)} tickers, {alias_count} aliases")


if __name__ == "__main__":
    main()
