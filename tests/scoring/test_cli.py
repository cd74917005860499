"""The JSON-lines command line: order, ids, per-line errors, and eval metrics."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from scoring import Scorer
from scoring.cli import evaluate, run_lines


def _run(scorer: Scorer, command: str, lines: list[str]) -> list[dict[str, Any]]:
    out = io.StringIO()
    run_lines(scorer, command, io.StringIO("\n".join(lines) + "\n"), out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_classify_keeps_order_and_reports_bad_lines(scorer: Scorer) -> None:
    rows = _run(
        scorer,
        "classify",
        [
            '{"id": 1, "text": "Revenue rose 12% to a record."}',
            "not json",
            '{"id": 3}',
            '{"id": 4, "text": "x"}',
        ],
    )
    assert [r["id"] for r in rows] == [1, None, 3, 4]
    assert rows[0]["polarity"] == "positive"
    assert set(rows[0]) == {"id", "score", "label", "polarity", "confidence"}
    assert "error" in rows[1]
    assert "error" in rows[2]
    assert "score" in rows[3]


def test_targets_events_analyze(scorer: Scorer) -> None:
    text = "Walmart shares rose after strong results, while Target fell on a weak forecast."
    (targets,) = _run(
        scorer, "targets", [json.dumps({"id": "t", "text": text, "targets": ["Walmart", "Target"]})]
    )
    polarities = [t["polarity"] for t in targets["targets"]]
    assert polarities == ["positive", "negative"]
    (events,) = _run(
        scorer, "events", ['{"id": "e", "text": "Acme Corp raised its dividend to $0.30 a share."}']
    )
    (event,) = events["events"]
    assert event["type"] == "dividend"
    assert event["action"] == "increase"
    body = "Lumen Technologies agreed to buy startup Alkira for $475 million in cash."
    (analysis,) = _run(scorer, "analyze", [json.dumps({"id": 7, "title": "", "body": body})])
    assert analysis["id"] == 7
    assert analysis["tickers"][0]["symbol"] == "LUMN"


def test_eval_reports_metrics(scorer: Scorer, tmp_path: Path) -> None:
    data = tmp_path / "gold.csv"
    data.write_text(
        "text,label\nRevenue rose 12% to a record.,positive\nProfit fell 30% as demand weakened.,negative\n"
        "The company will report results on Thursday.,neutral\n",
        encoding="utf-8",
    )
    result = evaluate(scorer, data, "csv", {})
    assert result["n"] == 3
    assert result["accuracy"] == 1.0
    assert result["confusion"] == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
