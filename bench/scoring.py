"""Scoring throughput on one core: sentences/s, ~600-word articles/s, model load time, peak RSS.

``python -m bench.scoring`` (from the repository root, project venv). Pins the process to one CPU and
onnxruntime to one thread. Sentences come from the held-out shared test splits and the seed article;
articles are ~600 words built from the seed article plus held-out headlines. Prints JSON and a Markdown
row for bench/README.md. Rates are wall-clock; the ``cpu_*`` rates divide by this process's CPU time
instead, which other work on a shared machine disturbs less, and ``load_avg_1m`` says how busy it was.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from core.records import TickerRef
from scoring import ArticleText, load_scorer
from scoring.corpus import sentfin_sentences, twitter
from scoring.text import split_sentences

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "seed-article.txt"


def _tickers() -> list[TickerRef]:
    from scoring.cli import load_tickers

    return load_tickers(
        ROOT / "seeds" / "tickers.json" if (ROOT / "seeds" / "tickers.json").exists() else None
    )


def _seed_sentences() -> tuple[str, str]:
    paragraphs = [p.strip() for p in SEED.read_text(encoding="utf-8").split("\n") if p.strip()]
    return paragraphs[0], paragraphs[1]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scoring")
    parser.add_argument("--sentences", type=int, default=2000)
    parser.add_argument("--articles", type=int, default=60)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    tickers = _tickers()
    started = time.perf_counter()
    scorer = load_scorer(tickers)
    load_s = time.perf_counter() - started

    news, analysis = _seed_sentences()
    seed_sentences = [s.text for s in split_sentences(f"{news}\n{analysis}")]
    pool = [e.text for e in twitter("test")] + [e.text for e in sentfin_sentences("test")]
    sentences = (seed_sentences * 3 + pool)[: args.sentences]
    scorer.classify(sentences[:64])  # warm-up
    started, cpu = time.perf_counter(), time.process_time()
    scorer.classify(sentences)
    sent_s, sent_cpu = time.perf_counter() - started, time.process_time() - cpu
    avg_words = sum(len(s.split()) for s in sentences) / len(sentences)

    articles = []
    for i in range(args.articles):
        extra: list[str] = []
        j = i * 12
        while len((news + analysis).split()) + sum(len(s.split()) for s in extra) < 600:
            extra.append(pool[j % len(pool)].rstrip(".") + ".")
            j += 1
        articles.append(ArticleText(title=pool[i % len(pool)], body=f"{news}\n{' '.join(extra)}\n{analysis}"))
    words = sum(len(a.body.split()) for a in articles) / len(articles)
    scorer.analyze(articles[0])  # warm-up
    started, cpu = time.perf_counter(), time.process_time()
    for lo in range(0, len(articles), 8):
        scorer.analyze_many(articles[lo : lo + 8])
    art_s, art_cpu = time.perf_counter() - started, time.process_time() - cpu

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "model": scorer.model_version,
        "tickers": len(tickers),
        "sentences": len(sentences),
        "avg_words_per_sentence": round(avg_words, 1),
        "sentences_per_s": round(len(sentences) / sent_s, 1),
        "cpu_sentences_per_s": round(len(sentences) / sent_cpu, 1),
        "articles": len(articles),
        "avg_words_per_article": round(words),
        "articles_per_s": round(len(articles) / art_s, 2),
        "cpu_articles_per_s": round(len(articles) / art_cpu, 2),
        "load_s": round(load_s, 2),
        "peak_rss_mb": round(rss_mb),
        "threads": 1,
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result, indent=2))
    print(
        f"| {result['model']} | {result['sentences_per_s']} | {result['articles_per_s']} "
        f"| {result['load_s']} | {result['peak_rss_mb']} |"
    )


if __name__ == "__main__":
    main()
