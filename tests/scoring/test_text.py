"""Sentence splitting and amount parsing on financial prose."""

from __future__ import annotations

import pytest

from scoring.amounts import find_amounts
from scoring.text import split_sentences


def test_split_keeps_abbreviations_and_numbers() -> None:
    text = (
        "Acme Inc. said Q1 revenue was $2.83 billion vs. $2.7 billion in the U.S. market. "
        'The company\'s 47-cent loss was wider. "We are pleased," the CEO said! Is it over? Yes.\n'
        "- Margins rose 2.5 points\n- Debt fell"
    )
    spans = split_sentences(text)
    assert [s.text for s in spans] == [
        "Acme Inc. said Q1 revenue was $2.83 billion vs. $2.7 billion in the U.S. market.",
        "The company's 47-cent loss was wider.",
        '"We are pleased," the CEO said!',
        "Is it over?",
        "Yes.",
        "Margins rose 2.5 points",
        "Debt fell",
    ]
    for s in spans:
        assert text[s.start : s.end] == s.text


def test_split_empty_and_whitespace() -> None:
    assert split_sentences("") == []
    assert split_sentences("  \n ") == []


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("$2.9 billion", [(2.9e9, "money", "USD")]),
        ("$475 million in cash", [(475e6, "money", "USD")]),
        ("a 47-cent loss", [(-0.47, "money", "USD")]),
        ("$1.9 billion-$2.1 billion", [(1.9e9, "money", "USD"), (2.1e9, "money", "USD")]),
        ("$1.9-$2.1 billion", [(1.9e9, "money", "USD"), (2.1e9, "money", "USD")]),
        ("(\u00240.13)", [(-0.13, "money", "USD")]),
        ("€3bn", [(3e9, "money", "EUR")]),
        ("Rs 10.4 crore", [(104e6, "money", "INR")]),
        ("12,000 jobs, or 6%", [(12000, "count", None), (6, "percent", None)]),
        ("in 2024", []),
    ],
)
def test_amounts(text: str, values: list[tuple[float, str, str | None]]) -> None:
    got = [(a.value, a.kind, a.currency) for a in find_amounts(text)]
    assert got == [pytest.approx(v) for v in values]
