"""Evaluation helpers shared by the CLI, the tests and the model card: event precision/recall per type
and attribute agreement against a labelled JSON-lines set."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scoring.analysis import Event
from scoring.events import EVENT_TYPES
from scoring.metrics import precision_recall


@dataclass(frozen=True, slots=True)
class TypeScore:
    type: str
    support: int
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float


@dataclass(frozen=True, slots=True)
class EventReport:
    per_type: tuple[TypeScore, ...]
    precision: float
    recall: float
    attributes_checked: int
    attributes_correct: int
    mistakes: tuple[str, ...]


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _agrees(expected: object, got: object) -> bool:
    if isinstance(expected, int | float) and isinstance(got, int | float) and not isinstance(got, bool):
        return abs(float(expected) - float(got)) <= 1e-6 * max(1.0, abs(float(expected)))
    return expected == got


def events_report(rows: Sequence[Mapping[str, Any]], extract: Callable[[str], list[Event]]) -> EventReport:
    """Type-level matching per sentence (as multisets); attributes compared on matched types."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    support: Counter[str] = Counter()
    checked = correct = 0
    mistakes: list[str] = []
    for row in rows:
        gold = list(row["events"])
        got = extract(str(row["text"]))
        gold_types = Counter(str(e["type"]) for e in gold)
        got_types = Counter(e.type for e in got)
        support.update(gold_types)
        for kind in set(gold_types) | set(got_types):
            hit = min(gold_types[kind], got_types[kind])
            tp[kind] += hit
            fp[kind] += got_types[kind] - hit
            fn[kind] += gold_types[kind] - hit
        if gold_types != got_types:
            mistakes.append(
                f"{row['text']!r}: want {sorted(gold_types.elements())} got {sorted(got_types.elements())}"
            )
        for g in gold:
            match = next((e for e in got if e.type == g["type"]), None)
            if match is None:
                continue
            for key, value in g.items():
                if key == "type":
                    continue
                checked += 1
                if _agrees(value, match.attributes.get(key)):
                    correct += 1
                else:
                    mistakes.append(
                        f"{row['text']!r}: {g['type']}.{key} want {value!r} got {match.attributes.get(key)!r}"
                    )
    per_type = []
    for kind in EVENT_TYPES:
        p, r = precision_recall(tp[kind], fp[kind], fn[kind])
        per_type.append(TypeScore(kind, support[kind], tp[kind], fp[kind], fn[kind], p, r))
    p, r = precision_recall(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return EventReport(tuple(per_type), p, r, checked, correct, tuple(mistakes))
