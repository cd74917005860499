"""The packaged sentence-sentiment model: int8 ONNX MiniLM run by onnxruntime, with its tokenizer.

Scores a sentence, or a sentence toward a named target (encoded as the pair ``target [SEP] sentence``).
Deterministic per input: each input runs alone, unpadded. The int8 graph quantizes activations with one
scale taken over the whole input tensor, so batch-mates and padding rows would move a sentence's score
(by up to 0.18 on 500 held-out headlines, flipping 2.6% of their polarities, and up to 0.35 on the
benchmark's article sentences). A batch of one costs 10-20% of throughput on one core, which the fused
attention graph (``scoring.fuse``) mostly wins back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from tokenizers import Encoding, Tokenizer

ARTIFACTS: Final = Path(__file__).resolve().parent / "artifacts"

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
        self._outputs = ["probabilities"]

    def predict(self, texts: Sequence[str], targets: Sequence[str | None] | None = None) -> Probabilities:
        """Rows of probabilities in ``self.info.labels`` order, one per text."""
        out = np.zeros((len(texts), len(self.info.labels)), dtype=np.float32)
        targets = targets if targets is not None else [None] * len(texts)
        for row, (text, target) in enumerate(zip(texts, targets, strict=True)):
            out[row] = self._run(self._encode(text, target))
        return out

    def _encode(self, text: str, target: str | None) -> Encoding:
        if target is None:
            return self._tokenizer.encode(text)
        return self._tokenizer.encode(target, text)

    def _run(self, enc: Encoding) -> Probabilities:
        ids = np.array([enc.ids], dtype=np.int64)
        feed = {
            "input_ids": ids,
            "attention_mask": np.ones_like(ids),
            "token_type_ids": np.array([enc.type_ids], dtype=np.int64),
        }
        (probs,) = self._session.run(self._outputs, feed)
        return np.asarray(probs[0], dtype=np.float32)
