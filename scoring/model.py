"""The packaged sentence-sentiment model: int8 ONNX MiniLM run by onnxruntime, with its tokenizer.

Scores a sentence, or a sentence toward a named target (encoded as the pair ``target [SEP] sentence``).
Deterministic: each input is padded to a length that depends on it alone (a multiple of 4), and inputs of
one padded length are batched together, so a sentence scores the same whatever it is batched with.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from tokenizers import Encoding, Tokenizer

ARTIFACTS: Final = Path(__file__).resolve().parent / "artifacts"
_PAD_MULTIPLE: Final = 4
_BATCH: Final = 32

Probabilities = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class ModelInfo:
    version: str
    labels: tuple[str, ...]
    max_tokens: int


class SentenceModel:
    """Class probabilities (negative, neutral, positive) for sentences, optionally toward a target."""

    def __init__(self, directory: Path = ARTIFACTS, *, threads: int = 1) -> None:
        meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
        self.info = ModelInfo(str(meta["version"]), tuple(meta["labels"]), int(meta["max_tokens"]))
        options = ort.SessionOptions()
        # One thread per scorer: the worker scales by processes, and a pinned count keeps runs comparable.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(directory / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(self.info.max_tokens)

    def predict(self, texts: Sequence[str], targets: Sequence[str | None] | None = None) -> Probabilities:
        """Rows of probabilities in ``self.info.labels`` order, one per text."""
        out = np.zeros((len(texts), len(self.info.labels)), dtype=np.float32)
        if not texts:
            return out
        targets = targets if targets is not None else [None] * len(texts)
        encodings = [self._encode(text, target) for text, target in zip(texts, targets, strict=True)]
        groups: dict[int, list[int]] = defaultdict(list)
        for i, enc in enumerate(encodings):
            padded = -(-len(enc.ids) // _PAD_MULTIPLE) * _PAD_MULTIPLE
            groups[padded].append(i)
        for length, members in sorted(groups.items()):
            for lo in range(0, len(members), _BATCH):
                rows = members[lo : lo + _BATCH]
                out[rows] = self._run([encodings[i] for i in rows], length)
        return out

    def _encode(self, text: str, target: str | None) -> Encoding:
        if target is None:
            return self._tokenizer.encode(text)
        return self._tokenizer.encode(target, text)

    def _run(self, encodings: list[Encoding], length: int) -> Probabilities:
        ids = np.zeros((len(encodings), length), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, enc in enumerate(encodings):
            n = len(enc.ids)
            ids[row, :n] = enc.ids
            mask[row, :n] = 1
            types[row, :n] = enc.type_ids
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        (probs,) = self._session.run(["probabilities"], feed)
        return np.asarray(probs, dtype=np.float32)
