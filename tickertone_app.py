"""Composition root: the one module that hands the scoring engine to the API process.

``api`` may import only core, services and schema, and ``services`` may not import ``scoring``;
``POST /v1/score`` still needs the engine. So this module, outside the layered packages, imports
both and injects a ``TextScorerFactory`` into ``create_app``. The import-linter config lists it as a
root package with a contract that no layer imports it, so the dependency stays visible and one-way.

    python -m tickertone_app serve [--port N]      # the API with /v1/score enabled
    uvicorn tickertone_app:app_factory --factory
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence

from starlette.applications import Starlette

from api.app import create_app
from api.cli import build_parser
from core.records import TickerRef
from core.settings import Settings
from scoring import ArticleText, Scorer, load_scorer
from services.score_text import TextScorer


class ScorerAdapter:
    """``scoring.Scorer`` seen through the ``services.score_text.TextScorer`` protocol."""

    def __init__(self, scorer: Scorer) -> None:
        self._scorer = scorer

    def analyze_text(self, *, title: str, body: str, tickers: tuple[str, ...]) -> Mapping[str, object]:
        return self._scorer.analyze(ArticleText(title=title, body=body, tickers=tickers)).to_dict()


def scorer_factory(tickers: Sequence[TickerRef]) -> TextScorer:
    return ScorerAdapter(load_scorer(tickers))


def app_factory() -> Starlette:
    return create_app(Settings(), scorer_factory=scorer_factory, serving=True)


def main(argv: Sequence[str] | None = None) -> int:
    args: argparse.Namespace = build_parser().parse_args(argv)
    if args.command == "serve":
        args.app = "tickertone_app:app_factory"
    status: int = args.handler(args)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
