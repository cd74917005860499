"""Sentences of financial prose with character offsets, and the word tokens the rules match on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

# Tokens after which a period does not end a sentence: titles, company suffixes, "vs.", months, and
# the like. Lower-cased, without the period.
_ABBREVIATIONS: Final[frozenset[str]] = frozenset(
    [
        "inc",
        "corp",
        "co",
        "ltd",
        "plc",
        "llc",
        "lp",
        "cos",
        "bros",
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "mt",
        "ave",
        "vs",
        "v",
        "etc",
        "approx",
        "est",
        "no",
        "nos",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "fig",
        "figs",
        "dept",
        "gov",
        "sen",
        "rep",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "adj",
        "excl",
        "incl",
        "avg",
        "pct",
        "yr",
        "yrs",
        "mo",
        "mos",
        "hr",
        "hrs",
        "min",
        "max",
        "ref",
        "op",
        "cf",
        "al",
        "eg",
        "ie",
        "e.g",
        "i.e",
        "u.s",
        "u.k",
        "u.n",
        "e.u",
    ]
)

# A candidate boundary: sentence punctuation, closing quotes/brackets, then whitespace.
_BOUNDARY: Final = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s)")
_BULLET: Final = re.compile(r"^[ \t]*(?:[-*•·▪–]|\d{1,2}[.)])[ \t]+")
_WORD: Final = re.compile(r"\$?[A-Za-z0-9][A-Za-z0-9&'’.\-]*[A-Za-z0-9]|\$?[A-Za-z0-9]")
_INITIALISM: Final = re.compile(r"(?:[A-Za-z]\.){2,}")


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of a string and where it sits in it: ``source[start:end] == text``."""

    text: str
    start: int
    end: int


def _ends_sentence(text: str, stop: int, next_start: int) -> bool:
    """Whether the punctuation ending at ``stop`` closes a sentence, looking both ways."""
    punct_at = stop - 1
    while punct_at > 0 and text[punct_at] in "\"'”’)]":
        punct_at -= 1
    if text[punct_at] != ".":
        return True  # "!" and "?" always end a sentence
    word_start = punct_at
    while word_start > 0 and not text[word_start - 1].isspace() and text[word_start - 1] not in "(\"'“‘":
        word_start -= 1
    word = text[word_start:punct_at].lower().rstrip(".")
    following = text[next_start : next_start + 1]
    if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
        # "Inc. said" continues, but "... by Acme Inc. The deal" starts a new sentence; only a
        # capitalised next word after a company suffix is read as a boundary.
        return word in {"inc", "corp", "co", "ltd", "plc", "llc"} and following.isupper()
    if re.fullmatch(r"(?:[a-z]\.)+[a-z]", word):  # U.S. / U.K. / a.m.
        return following.isupper() and word not in {"u.s", "u.k", "e.u"}
    return bool(following) and (following.isupper() or following.isdigit() or following in "\"“‘'$(")


def split_sentences(text: str) -> list[Span]:
    """Sentences with offsets into ``text``; lines and bullet items always end a sentence."""
    spans: list[Span] = []
    line_start = 0
    for line in text.splitlines(keepends=True):
        offset = line_start
        line_start += len(line)
        bullet = _BULLET.match(line)
        start = offset + (bullet.end() if bullet else 0)
        for match in _BOUNDARY.finditer(text, start, line_start):
            next_start = match.end()
            while next_start < line_start and text[next_start].isspace():
                next_start += 1
            if next_start >= line_start or _ends_sentence(text, match.end(), next_start):
                _append(spans, text, start, match.end())
                start = next_start
        _append(spans, text, start, line_start)
    return spans


def _append(spans: list[Span], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start and any(ch.isalnum() for ch in text[start:end]):
        spans.append(Span(text[start:end], start, end))


def words(text: str) -> list[Span]:
    """Word tokens with offsets; keeps "$LUMN", "AT&T", "U.S." and "47-cent" whole."""
    return list(_words(text))


# Linking reads each section twice (known names, then unknown organisations): tokenize it once.
@lru_cache(maxsize=64)
def _words(text: str) -> tuple[Span, ...]:
    out: list[Span] = []
    for m in _WORD.finditer(text):
        token = m.group()
        end = m.end()
        # A trailing period belongs to the sentence unless the token is an initialism ("U.S.").
        if token.endswith(".") and not _INITIALISM.fullmatch(token):
            token, end = token[:-1], end - 1
        out.append(Span(token, m.start(), end))
    return tuple(out)
