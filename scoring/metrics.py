"""Classification metrics for evaluation: accuracy, per-class and macro F1, confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Report:
    n: int
    accuracy: float
    macro_f1: float
    f1: dict[str, float]
    labels: tuple[str, ...]
    confusion: tuple[tuple[int, ...], ...]  # rows: true label, columns: predicted label

    def to_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "f1": self.f1,
            "labels": list(self.labels),
            "confusion": [list(row) for row in self.confusion],
        }


def report(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> Report:
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, predicted, strict=True):
        matrix[index[g]][index[p]] += 1
    f1: dict[str, float] = {}
    for i, label in enumerate(labels):
        tp = matrix[i][i]
        fp = sum(matrix[r][i] for r in range(len(labels))) - tp
        fn = sum(matrix[i]) - tp
        f1[label] = round(2 * tp / (2 * tp + fp + fn), 4) if tp else 0.0
    n = len(gold)
    correct = sum(matrix[i][i] for i in range(len(labels)))
    return Report(
        n=n,
        accuracy=round(correct / n, 4) if n else 0.0,
        macro_f1=round(sum(f1.values()) / len(labels), 4),
        f1=f1,
        labels=tuple(labels),
        confusion=tuple(tuple(row) for row in matrix),
    )


def precision_recall(tp: int, fp: int, fn: int) -> tuple[float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return round(precision, 4), round(recall, 4)
