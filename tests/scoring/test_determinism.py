"""Same input, same output, whatever else is scored in the same call.

The int8 model quantizes activations with one scale per input tensor, so a sentence batched with
others (or padded) used to score differently than alone; the worker batches articles, and the same
article must not change sentiment with its queue neighbours."""

from __future__ import annotations

from scoring import ArticleText, Scorer
from tests.scoring.conftest import seed_paragraphs

NEWS, ANALYSIS = seed_paragraphs()

# Short and long, similar lengths (they used to share a padded batch), and multi-company sentences
# that take the target-dependent pass.
SENTENCES = [
    "Lumen shares rose 5% after the company beat estimates.",
    "Profit fell sharply at the carrier last quarter amid costs.",
    "Apple said it will hold its meeting on Tuesday in Cupertino.",
    "Revenue was $2.83 billion, down from a year earlier, the company said.",
    "Verizon gained subscribers while AT&T lost customers to cable rivals.",
    "Stocks slipped.",
    "Microsoft raised its dividend by 10% and announced a $60 billion buyback, "
    "while Intel cut its full-year outlook and said it would lay off 15% of staff.",
]


def test_a_sentence_scores_the_same_alone_and_in_a_batch(scorer: Scorer) -> None:
    together = scorer.classify(SENTENCES)
    alone = [scorer.classify([s])[0] for s in SENTENCES]
    assert together == alone
    assert scorer.classify(list(reversed(SENTENCES))) == list(reversed(together))


def test_target_scores_do_not_depend_on_the_other_names(scorer: Scorer) -> None:
    text = SENTENCES[4]
    both = scorer.targets(text, ["Verizon", "AT&T"])
    assert both == [
        scorer.targets(text, ["Verizon", "AT&T"])[0],
        scorer.targets(text, ["AT&T", "Verizon"])[0],
    ]


def test_an_article_analyzes_the_same_alone_and_in_a_batch(scorer: Scorer) -> None:
    seed = ArticleText(title="Lumen Technologies to buy Alkira for $475 million", body=f"{NEWS}\n{ANALYSIS}")
    others = [
        ArticleText(title=s, body=" ".join(SENTENCES[i:] + SENTENCES[:i])) for i, s in enumerate(SENTENCES)
    ]
    alone = scorer.analyze(seed).to_dict()
    batched = scorer.analyze_many([*others[:3], seed, *others[3:]])
    assert batched[3].to_dict() == alone
    assert [a.to_dict() for a in batched[:3]] == [scorer.analyze(o).to_dict() for o in others[:3]]
