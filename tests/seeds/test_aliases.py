"""Alias rules: legal suffixes, short names, refusals, collisions, ambiguity flags."""

from __future__ import annotations

import pytest

from seeds.aliases import (
    ambiguous_aliases,
    build_aliases,
    cashtag,
    clean_name,
    drop_colliding_aliases,
    is_usable_alias,
    short_name,
    strip_legal_suffixes,
)


@pytest.mark.parametrize(
    ("name", "stripped"),
    [
        ("Lumen Technologies, Inc.", "Lumen Technologies"),
        ("Alphabet Inc. Class A", "Alphabet"),
        ("Eli Lilly and Company", "Eli Lilly"),
        ("Merck & Co.", "Merck"),
        ("The Coca-Cola Company", "Coca-Cola"),
        ("Harmony Biosciences Holdings, Inc.", "Harmony Biosciences"),
        ("Linde plc", "Linde"),
        ("ASML Holding N.V.", "ASML"),
        ("UnitedHealth Group", "UnitedHealth"),
        ("Chubb Limited", "Chubb"),
        ("Corporation", "Corporation"),
        ("Viasat (American company)", "Viasat"),
    ],
)
def test_strip_legal_suffixes(name: str, stripped: str) -> None:
    assert strip_legal_suffixes(name) == stripped


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("Lumen Technologies, Inc.", "Lumen"),
        ("Meta Platforms", "Meta"),
        ("Palo Alto Networks", "Palo Alto"),
        ("Thermo Fisher Scientific", "Thermo Fisher"),
        ("Apple Inc.", None),
        ("Lumen", None),
        ("Procter & Gamble", None),
    ],
)
def test_short_name(name: str, short: str | None) -> None:
    assert short_name(name) == short


@pytest.mark.parametrize(
    ("alias", "usable"),
    [
        ("Lumen", True),
        ("Palo Alto", True),
        ("American", False),
        ("Boston", False),
        ("NOW", False),
        ("SM", False),
        ("Q2", False),
        ("S&P", False),
    ],
)
def test_is_usable_alias(alias: str, usable: bool) -> None:
    assert is_usable_alias(alias) is usable


def test_lumen_reaches_lumn_by_every_name() -> None:
    aliases = build_aliases(symbol="LUMN", name="Lumen Technologies, Inc.")
    assert aliases == ["Lumen Technologies, Inc.", "Lumen Technologies", "Lumen", "$LUMN"]


def test_curated_extras_keep_their_order_and_duplicates_go() -> None:
    aliases = build_aliases(symbol="GOOGL", name="Alphabet Inc. Class A", extra=("Alphabet", "Google"))
    assert aliases == ["Alphabet Inc. Class A", "Alphabet", "Google", "$GOOGL"]


def test_generic_short_names_are_refused() -> None:
    aliases = build_aliases(symbol="AFG", name="American Financial Group")
    assert aliases == ["American Financial Group", "American Financial", "$AFG"]


def test_cashtag_uses_the_dot_class_convention() -> None:
    assert cashtag("BRK.B") == "$BRK.B"
    with pytest.raises(ValueError):
        cashtag("brk-b")


def test_colliding_aliases_are_dropped_unless_curated() -> None:
    aliases = {
        "CEG": build_aliases(symbol="CEG", name="Constellation Energy"),
        "STZ": build_aliases(symbol="STZ", name="Constellation Brands"),
        "GOOGL": build_aliases(symbol="GOOGL", name="Alphabet Inc. Class A"),
        "GOOG": build_aliases(symbol="GOOG", name="Alphabet Inc. Class C"),
        "XYZ": build_aliases(symbol="XYZ", name="Block, Inc."),
        "BLK": build_aliases(symbol="BLK", name="Block Labs", extra=()),
    }
    company = {symbol: strip_legal_suffixes(aliases[symbol][0]) for symbol in aliases}
    kept = drop_colliding_aliases(aliases, company_by_symbol=company, protected={"XYZ": ("Block",)})
    assert kept["CEG"] == ["Constellation Energy", "$CEG"]
    assert kept["STZ"] == ["Constellation Brands", "$STZ"]
    # Two share classes of one company share their aliases.
    assert "Alphabet" in kept["GOOGL"]
    assert "Alphabet" in kept["GOOG"]
    # A curated alias survives a collision for its owner only.
    assert "Block" in kept["XYZ"]
    assert "Block" not in kept["BLK"]


def test_ambiguous_aliases_are_one_word_common_words() -> None:
    aliases = ["Target Corporation", "Target", "Apple", "Block", "Square Deal", "$TGT"]
    assert ambiguous_aliases(aliases) == ["Target", "Block"]


def test_clean_name_unifies_quotes_and_dashes() -> None:
    assert clean_name("BJ\u2019s Restaurants") == "BJ's Restaurants"
    assert clean_name("Brown\u2013Forman") == "Brown-Forman"
