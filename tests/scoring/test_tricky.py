"""Sentences a lexicon gets wrong: direction x quantity, negation, hedges, and target-dependent contrast."""

from __future__ import annotations

import pytest

from scoring import Scorer

# (sentence, expected polarity)
SENTENCES: list[tuple[str, str]] = [
    ("Quarterly profit fell 30% as demand weakened.", "negative"),
    ("Revenue rose 12% to a record $4.1 billion.", "positive"),
    ("Operating costs fell 8%, lifting margins.", "positive"),
    ("Operating expenses jumped 25%, squeezing margins.", "negative"),
    ("The company's net loss widened to $210 million.", "negative"),
    ("The company's net loss narrowed to $35 million from $120 million a year earlier.", "positive"),
    ("Debt fell by a third after the asset sale.", "positive"),
    ("Customer churn rose for the third straight quarter.", "negative"),
    ("The retailer beat analysts' earnings estimates.", "positive"),
    ("The retailer missed analysts' earnings estimates.", "negative"),
    ("The chipmaker did not meet Wall Street's revenue expectations.", "negative"),
    ("Earnings came in well below consensus.", "negative"),
    ("Earnings topped the consensus forecast by 15 cents a share.", "positive"),
    ("The bank raised its full-year outlook.", "positive"),
    ("The bank cut its full-year forecast.", "negative"),
    ("The airline slashed its dividend to conserve cash.", "negative"),
    ("The board raised the quarterly dividend by 10%.", "positive"),
    ("The insurer announced a $2 billion share buyback.", "positive"),
    ("The automaker will lay off 5,000 workers.", "negative"),
    ("Shares plunged 18% after the company withdrew its guidance.", "negative"),
    ("Shares surged 22% after the drug met its primary endpoint.", "positive"),
    ("The trial failed to meet its primary endpoint.", "negative"),
    ("Regulators fined the lender $500 million over misconduct.", "negative"),
    ("The company filed for Chapter 11 bankruptcy protection.", "negative"),
    ("Analysts upgraded the stock to buy from hold.", "positive"),
    ("Analysts downgraded the stock to sell.", "negative"),
    ("The broker cut its price target on the shares to $40 from $55.", "negative"),
    ("Losses shrank for the fourth consecutive quarter.", "positive"),
    ("Inventory write-downs weighed on gross margin.", "negative"),
    ("Same-store sales declined 4% in the holiday quarter.", "negative"),
    ("Order backlog grew to a record level.", "positive"),
    ("Delinquencies increased sharply among subprime borrowers.", "negative"),
    ("The company will report second-quarter results on Thursday.", "neutral"),
    ("The annual shareholder meeting is scheduled for May 12.", "neutral"),
    ("The company reaffirmed its annual guidance.", "neutral"),
    ("The stock closed unchanged at $45.20.", "neutral"),
    ("Free cash flow turned positive for the first time in two years.", "positive"),
    ("The company swung to a loss in the third quarter.", "negative"),
    ("The company swung to a profit in the third quarter.", "positive"),
    ("Cost cuts helped earnings per share beat estimates despite lower revenue.", "positive"),
]

# (sentence, target, expected polarity toward the target)
TARGETED: list[tuple[str, str, str]] = [
    ("Lumen beat estimates while rivals slumped.", "Lumen", "positive"),
    ("Microsoft gained market share at the expense of Google.", "Microsoft", "positive"),
    ("Microsoft gained market share at the expense of Google.", "Google", "negative"),
    (
        "Walmart shares rose after strong results, while Target fell on a weak forecast.",
        "Walmart",
        "positive",
    ),
    ("Walmart shares rose after strong results, while Target fell on a weak forecast.", "Target", "negative"),
    ("Analysts upgraded Ford to buy and downgraded General Motors to sell.", "Ford", "positive"),
    ("Analysts upgraded Ford to buy and downgraded General Motors to sell.", "General Motors", "negative"),
    ("Intel lost customers to AMD, whose data-center sales jumped 40%.", "AMD", "positive"),
    ("Intel lost customers to AMD, whose data-center sales jumped 40%.", "Intel", "negative"),
]


@pytest.mark.parametrize(("sentence", "expected"), SENTENCES)
def test_sentence_polarity(scorer: Scorer, sentence: str, expected: str) -> None:
    (result,) = scorer.classify([sentence])
    assert result.polarity == expected, f"{result.score:+.3f} {sentence}"


@pytest.mark.parametrize(("sentence", "target", "expected"), TARGETED)
def test_target_polarity(scorer: Scorer, sentence: str, target: str, expected: str) -> None:
    (result,) = scorer.targets(sentence, [target])
    assert result.name == target
    assert result.polarity == expected, f"{result.score:+.3f} {target}: {sentence}"


def test_table_is_large_enough() -> None:
    assert len(SENTENCES) + len(TARGETED) >= 40
