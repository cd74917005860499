"""Scoring fixtures: one loaded scorer over a realistic reference table (seeds/tickers.json when present,
else index constituents from pytickersymbols), always with LUMN."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.records import TickerRef
from scoring import Scorer, load_scorer

ROOT = Path(__file__).resolve().parents[2]
SEED_ARTICLE = ROOT.parent / "shared" / "seed-article.txt"
LUMN = TickerRef(
    "LUMN",
    "Lumen Technologies Inc",
    ("Lumen Technologies", "Lumen", "CenturyLink"),
    "NYSE",
    "Communication Services",
    "Telecommunications",
)


def _from_seeds(path: Path) -> list[TickerRef]:
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [
        TickerRef(
            r["symbol"],
            r["name"],
            tuple(r.get("aliases") or ()),
            r.get("exchange"),
            r.get("sector"),
            r.get("industry"),
        )
        for r in rows
    ]


def _from_pytickersymbols() -> list[TickerRef]:
    from pytickersymbols import PyTickerSymbols

    refs: dict[str, TickerRef] = {}
    stocks = PyTickerSymbols()
    for index in ("S&P 500", "NASDAQ 100", "S&P 600"):
        for stock in stocks.get_stocks_by_index(index):
            symbol = str(stock["symbol"])
            refs.setdefault(symbol, TickerRef(symbol, str(stock["name"])))
    return list(refs.values())


def reference_table() -> list[TickerRef]:
    seeds = ROOT / "seeds" / "tickers.json"
    table = _from_seeds(seeds) if seeds.exists() else _from_pytickersymbols()
    return [LUMN, *(t for t in table if t.symbol != "LUMN")]


@pytest.fixture(scope="session")
def tickers() -> list[TickerRef]:
    return reference_table()


@pytest.fixture(scope="session")
def scorer(tickers: list[TickerRef]) -> Scorer:
    return load_scorer(tickers)


def seed_paragraphs() -> tuple[str, str]:
    """The news paragraph and the analysis paragraph of the seed article."""
    paragraphs = [p.strip() for p in SEED_ARTICLE.read_text(encoding="utf-8").split("\n") if p.strip()]
    return paragraphs[0], paragraphs[1]
