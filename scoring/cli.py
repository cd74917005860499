"""JSON-lines command line: ``python -m scoring classify|targets|events|analyze|eval``.

Reads one JSON object per stdin line and writes one per stdout line, in order, echoing ``id``; a bad
line yields ``{"id", "error"}`` and the run goes on. Lines are scored in batches for speed.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Final

from core.records import TickerRef
from scoring.analysis import ArticleText, event_dict
from scoring.metrics import report
from scoring.scorer import Scorer, load_scorer

_BATCH: Final = 64
_LABELS: Final = ("negative", "neutral", "positive")
_LABEL_ALIASES: Final = {
    "bearish": "negative",
    "bullish": "positive",
    "neg": "negative",
    "pos": "positive",
    "neu": "neutral",
    "-1": "negative",
    "0": "neutral",
    "1": "positive",
}
# Used when no table is given and seeds/tickers.json is absent: enough to try the seed article.
BUILTIN_TICKERS: Final = (
    TickerRef("LUMN", "Lumen Technologies Inc", ("Lumen Technologies", "Lumen", "CenturyLink"), "NYSE"),
    TickerRef("AAPL", "Apple Inc.", ("Apple",), "NASDAQ"),
    TickerRef("MSFT", "Microsoft Corporation", ("Microsoft",), "NASDAQ"),
    TickerRef("AMZN", "Amazon.com, Inc.", ("Amazon",), "NASDAQ"),
    TickerRef("GOOGL", "Alphabet Inc.", ("Alphabet", "Google"), "NASDAQ"),
    TickerRef("T", "AT&T Inc.", ("AT&T",), "NYSE"),
    TickerRef("VZ", "Verizon Communications Inc.", ("Verizon",), "NYSE"),
    TickerRef("JPM", "JPMorgan Chase & Co.", ("JPMorgan", "JPMorgan Chase"), "NYSE"),
    TickerRef("TSLA", "Tesla, Inc.", ("Tesla",), "NASDAQ"),
    TickerRef("NVDA", "NVIDIA Corporation", ("Nvidia", "NVIDIA"), "NASDAQ"),
)
DEFAULT_TABLE: Final = Path("seeds/tickers.json")


def load_tickers(path: Path | None) -> list[TickerRef]:
    """A JSON list of {symbol, name, aliases?, exchange?, sector?, industry?}."""
    if path is None:
        if not DEFAULT_TABLE.exists():
            return list(BUILTIN_TICKERS)
        path = DEFAULT_TABLE
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [
        TickerRef(
            symbol=str(r["symbol"]),
            name=str(r["name"]),
            aliases=tuple(str(a) for a in r.get("aliases") or ()),
            exchange=r.get("exchange"),
            sector=r.get("sector"),
            industry=r.get("industry"),
        )
        for r in rows
    ]


def _chunks(stream: IO[str]) -> Iterator[list[str]]:
    chunk: list[str] = []
    for line in stream:
        if line.strip():
            chunk.append(line)
        if len(chunk) >= _BATCH:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


Handler = Callable[[Scorer, list[dict[str, Any]]], list[dict[str, Any]]]


def _classify(scorer: Scorer, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    scores = scorer.classify([str(i["text"]) for i in items])
    return [
        {
            "id": i.get("id"),
            "score": s.score,
            "label": s.label,
            "polarity": s.polarity,
            "confidence": s.confidence,
        }
        for i, s in zip(items, scores, strict=True)
    ]


def _targets(scorer: Scorer, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for i in items:
        names = [str(n) for n in i["targets"]]
        scores = scorer.targets(str(i["text"]), names)
        out.append(
            {
                "id": i.get("id"),
                "targets": [
                    {
                        "name": t.name,
                        "score": t.score,
                        "label": t.label,
                        "polarity": t.polarity,
                        "confidence": t.confidence,
                    }
                    for t in scores
                ],
            }
        )
    return out


def _events(scorer: Scorer, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for i in items:
        events = []
        for e in scorer.events(str(i["text"])):
            d = event_dict(e)
            attrs = d.pop("attributes")
            events.append(
                {
                    "type": d["type"],
                    "symbol": d["symbol"],
                    "entity": d["entity"],
                    **attrs,  # type: ignore[dict-item]
                    "evidence": d["evidence"],
                    "confidence": d["confidence"],
                }
            )
        out.append({"id": i.get("id"), "events": events})
    return out


def _analyze(scorer: Scorer, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    articles = [
        ArticleText(str(i.get("title") or ""), str(i.get("body") or ""), tuple(i.get("tickers") or ()))
        for i in items
    ]
    return [
        {"id": i.get("id"), **a.to_dict()} for i, a in zip(items, scorer.analyze_many(articles), strict=True)
    ]


HANDLERS: Final[dict[str, Handler]] = {
    "classify": _classify,
    "targets": _targets,
    "events": _events,
    "analyze": _analyze,
}


def run_lines(scorer: Scorer, command: str, stream: IO[str], out: IO[str]) -> None:
    handler = HANDLERS[command]
    for chunk in _chunks(stream):
        parsed: list[dict[str, Any] | str] = []
        for line in chunk:
            try:
                item = json.loads(line)
                if not isinstance(item, dict):
                    raise ValueError("each line must be a JSON object")
                parsed.append(item)
            except ValueError as exc:
                parsed.append(f"invalid JSON: {exc}")
        good = [p for p in parsed if isinstance(p, dict)]
        try:
            results = iter(handler(scorer, good))
        except (KeyError, TypeError, ValueError):
            # One bad item fails its batch: fall back to item by item so only it reports an error.
            results = iter([_one(handler, scorer, p) for p in good])
        for p in parsed:
            row = {"id": None, "error": p} if isinstance(p, str) else next(results)
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        out.flush()


def _one(handler: Handler, scorer: Scorer, item: dict[str, Any]) -> dict[str, Any]:
    try:
        return handler(scorer, [item])[0]
    except (KeyError, TypeError, ValueError) as exc:
        return {"id": item.get("id"), "error": f"{type(exc).__name__}: {exc}"}


def _normal_label(raw: str) -> str:
    value = raw.strip().lower()
    value = _LABEL_ALIASES.get(value, value)
    if value not in _LABELS:
        raise ValueError(f"unknown label {raw!r}")
    return value


def evaluate(scorer: Scorer, path: Path, fmt: str, label_map: dict[str, str]) -> dict[str, object]:
    """Accuracy, macro-F1 and confusion on a labelled file (``text``, ``label``, optional ``target``)."""
    if fmt == "csv":
        with path.open(newline="", encoding="utf-8") as handle:
            rows: list[dict[str, Any]] = list(csv.DictReader(handle))
    else:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    gold = [_normal_label(label_map.get(str(r["label"]), str(r["label"]))) for r in rows]
    texts = [str(r.get("text") or r.get("sentence")) for r in rows]
    targets = [r.get("target") or None for r in rows]
    predicted: list[str] = []
    for lo in range(0, len(rows), 256):
        batch_targets = targets[lo : lo + 256]
        if any(batch_targets):
            for text, target in zip(texts[lo : lo + 256], batch_targets, strict=True):
                score = scorer.targets(text, [target])[0] if target else scorer.classify([text])[0]
                predicted.append(score.polarity)
        else:
            predicted += [s.polarity for s in scorer.classify(texts[lo : lo + 256])]
    return {"model": scorer.model_version, **report(gold, predicted, _LABELS).to_dict()}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m scoring", description=__doc__)
    parser.add_argument("command", choices=[*HANDLERS, "eval"])
    parser.add_argument(
        "--tickers", type=Path, help="reference table (JSON list); default seeds/tickers.json"
    )
    parser.add_argument("--data", type=Path, help="eval: labelled file")
    parser.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    parser.add_argument("--label-map", default="", help='eval: e.g. "0=negative,1=positive,2=neutral"')
    args = parser.parse_args(argv)
    scorer = load_scorer(load_tickers(args.tickers))
    if args.command == "eval":
        if args.data is None:
            parser.error("eval needs --data")
        mapping = dict(pair.split("=", 1) for pair in args.label_map.split(",") if "=" in pair)
        print(json.dumps(evaluate(scorer, args.data, args.format, mapping)))
        return
    run_lines(scorer, args.command, sys.stdin, sys.stdout)
