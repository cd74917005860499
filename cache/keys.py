"""The Redis key scheme, in one place so every process agrees on it."""

from __future__ import annotations

PREFIX = "tt"
GLOBAL_GENERATION = f"{PREFIX}:gen"
SCORED_CHANNEL = f"{PREFIX}:article.scored"


def article_generation(article_id: int) -> str:
    return f"{PREFIX}:gen:article:{article_id}"


def ticker_generation(symbol: str) -> str:
    return f"{PREFIX}:gen:ticker:{symbol}"


def response(digest: str) -> str:
    return f"{PREFIX}:resp:{digest}"


# Bumped only when a lost bump is healed: entries that depend on single articles depend on it too,
# so a heal invalidates them as well as every list.
EPOCH_GENERATION = f"{PREFIX}:gen:epoch"


def persisted_operation(sha256: str) -> str:
    return f"{PREFIX}:pq:{sha256}"


def automatic_operation(sha256: str) -> str:
    return f"{PREFIX}:apq:{sha256}"
