"""Events: the labelled set (precision/recall per type) and targeted cases for negation and hedges."""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring import Scorer
from scoring.evaluate import events_report, load_jsonl

DATA = Path(__file__).parent / "data" / "events_eval.jsonl"


def test_labelled_set_is_large_and_varied() -> None:
    rows = load_jsonl(DATA)
    assert len(rows) >= 150
    assert sum(1 for r in rows if not r["events"]) >= 30  # negatives and hedges


def test_events_eval_set(scorer: Scorer) -> None:
    report = events_report(load_jsonl(DATA), scorer.events)
    assert report.precision >= 0.9, report.mistakes
    assert report.recall >= 0.9, report.mistakes
    for t in report.per_type:
        assert t.support > 0
        assert t.recall >= 0.6, (t, report.mistakes)
    assert report.attributes_correct / report.attributes_checked >= 0.9, report.mistakes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Acme did not agree to buy Zeta Labs.", []),
        ("Acme is in talks to acquire startup Zeta Labs.", [("acquisition", "status", "rumored")]),
        (
            "Acme completed its acquisition of Zeta Labs for $1.2 billion.",
            [("acquisition", "status", "completed")],
        ),
        ("Acme scrapped its $2 billion takeover of Zeta Labs.", [("acquisition", "status", "terminated")]),
        ("Acme reaffirmed its full-year guidance.", [("guidance", "direction", "reaffirmed")]),
        ("Acme did not raise its outlook.", []),
        ("Acme may cut its forecast later this year.", []),
        ("Morgan Stanley cut its price target on Acme to $40.", [("analyst_rating", "price_target", 40)]),
        ("Acme did not beat revenue estimates.", [("earnings", "result", "miss")]),
        ("Acme has no plans to lay off staff.", []),
        ("Acme posted a loss of 47 cents a share.", [("earnings", "actual", -0.47)]),
    ],
)
def test_negation_and_hedges(scorer: Scorer, text: str, expected: list[tuple[str, str, object]]) -> None:
    events = scorer.events(text)
    got = [(e.type, key, e.attributes.get(key)) for e, (_, key, _) in zip(events, expected, strict=False)]
    assert got == expected
    assert len(events) == len(expected)


def test_evidence_offsets(scorer: Scorer) -> None:
    text = "Shares rose. Acme Corp raised its quarterly dividend to $0.30 a share. Nothing else happened."
    (event,) = scorer.events(text)
    assert event.type == "dividend"
    assert text[event.evidence.start : event.evidence.end] == event.evidence.text
    assert event.attributes["amount"] == pytest.approx(0.30)


@pytest.mark.parametrize(
    ("text", "amount", "change_pct"),
    [
        # The EPS figure shares the sentence but not the dividend's clause.
        (
            "Apple Inc. reported adjusted EPS of $1.64, above the $1.60 analysts expected, and raised its"
            " quarterly dividend by 4%.",
            None,
            4.0,
        ),
        ("Acme raised its quarterly dividend by 5% to $0.42 a share.", 0.42, 5.0),
        ("Revenue rose 8%; the board declared a dividend of $0.25 per share.", 0.25, None),
    ],
)
def test_dividend_figures_come_from_the_dividend_clause(
    scorer: Scorer, text: str, amount: float | None, change_pct: float | None
) -> None:
    (dividend,) = [e for e in scorer.events(text) if e.type == "dividend"]
    assert dividend.attributes["amount"] == (pytest.approx(amount) if amount is not None else None)
    assert dividend.attributes["change_pct"] == change_pct
