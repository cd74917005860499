"""The committed `seeds/tickers.json`: shape, uniqueness, the reference ticker, and that the builder still
reproduces it byte for byte."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from core.records import normalize_symbol
from seeds.aliases import COMMON_WORDS
from seeds.build_tickers import INDICES, TICKERS_PATH, build_records, dump_records, load_constituents

FIELDS = {"symbol", "name", "exchange", "sector", "industry", "aliases", "ambiguous_aliases"}
GICS_SECTORS = {
    "Communication Services",
    "Consumer Discretionary",
    "Consumer Staples",
    "Energy",
    "Financials",
    "Health Care",
    "Industrials",
    "Information Technology",
    "Materials",
    "Real Estate",
    "Utilities",
}


@pytest.fixture(scope="module")
def tickers() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(TICKERS_PATH.read_text(encoding="utf-8"))
    return records


@pytest.fixture(scope="module")
def by_symbol(tickers: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {record["symbol"]: record for record in tickers}


def test_every_record_has_exactly_the_fields(tickers: list[dict[str, Any]]) -> None:
    for record in tickers:
        assert set(record) == FIELDS, record["symbol"]
        assert record["name"]
        assert record["aliases"]
        assert record["exchange"] in {None, "NYSE", "NASDAQ", "NYSE American", "NYSE Arca", "Cboe BZX"}
        assert record["sector"] is None or record["sector"] in GICS_SECTORS


def test_symbols_are_unique_sorted_and_in_the_dot_convention(tickers: list[dict[str, Any]]) -> None:
    symbols = [record["symbol"] for record in tickers]
    assert symbols == sorted(set(symbols))
    for symbol in symbols:
        assert normalize_symbol(symbol) == symbol
        assert "-" not in symbol
    assert {"BRK.B", "BF.B"} <= set(symbols)


def test_covers_the_seeded_indices(tickers: list[dict[str, Any]], by_symbol: dict[str, Any]) -> None:
    # S&P 500 + S&P 600 + NASDAQ-100, minus the overlap.
    assert len(tickers) > 1000
    for symbol in ("AAPL", "MSFT", "JPM", "ASML", "SHOP", "LUMN", "YELP"):
        assert symbol in by_symbol
    assert sum(1 for record in tickers if record["sector"] is not None) == len(tickers)


def test_lumn_is_reachable_by_name_short_name_and_cashtag(by_symbol: dict[str, Any]) -> None:
    lumn = by_symbol["LUMN"]
    assert lumn["name"] == "Lumen Technologies"
    assert lumn["exchange"] == "NYSE"
    assert lumn["sector"] == "Communication Services"
    assert {"Lumen Technologies", "Lumen", "$LUMN"} <= set(lumn["aliases"])


def test_curated_brand_names(by_symbol: dict[str, Any]) -> None:
    expected = {
        "GOOGL": {"Alphabet", "Google"},
        "GOOG": {"Alphabet", "Google"},
        "META": {"Meta", "Facebook"},
        "JPM": {"JPMorgan"},
        "JNJ": {"J&J"},
        "PG": {"P&G"},
        "XOM": {"Exxon"},
    }
    for symbol, aliases in expected.items():
        assert aliases <= set(by_symbol[symbol]["aliases"]), symbol


def test_every_ticker_has_its_cashtag(tickers: list[dict[str, Any]]) -> None:
    for record in tickers:
        assert "$" + record["symbol"] in record["aliases"]


def test_an_alias_reaches_one_company_only(tickers: list[dict[str, Any]]) -> None:
    owners: dict[str, set[str]] = {}
    for record in tickers:
        company = re.sub(r" Class [A-Z]$", "", record["name"])
        for alias in record["aliases"]:
            owners.setdefault(alias.casefold(), set()).add(company)
    shared = {alias: names for alias, names in owners.items() if len(names) > 1}
    assert shared == {}


def test_ambiguous_aliases_are_flagged_one_word_aliases(tickers: list[dict[str, Any]]) -> None:
    flagged = {alias for record in tickers for alias in record["ambiguous_aliases"]}
    for record in tickers:
        assert set(record["ambiguous_aliases"]) <= set(record["aliases"])
        for alias in record["ambiguous_aliases"]:
            assert " " not in alias
            assert alias.lower() in COMMON_WORDS
    assert {"Target", "Block", "Ball", "Visa", "Match"} <= flagged
    assert not {"Apple", "Lumen", "Google"} & flagged


def test_builder_reproduces_the_committed_file() -> None:
    pytest.importorskip("pytickersymbols")
    built = dump_records(build_records(load_constituents(INDICES)))
    assert built == TICKERS_PATH.read_text(encoding="utf-8"), "run `python -m seeds.build_tickers`"
