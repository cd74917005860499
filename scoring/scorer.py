"""The scorer: one loaded model and alias index that turn articles into Analyses."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from core.records import TickerRef
from core.scale import label_of, polarity_of
from scoring import aggregate, direction, linking
from scoring.aggregate import Presence, Scored
from scoring.analysis import (
    Analysis,
    ArticleText,
    Entity,
    Event,
    Highlight,
    SentenceScore,
    Sentiment,
    TargetScore,
    TickerSentiment,
)
from scoring.events import Context, Party, find_events
from scoring.linking import AliasIndex, Mention
from scoring.model import SentenceModel
from scoring.text import split_sentences

Section = Literal["title", "body"]
_MAX_HIGHLIGHTS = 3


@dataclass(slots=True)
class _Sentence:
    section: Section
    index: int  # position within its paragraph
    paragraph: int  # paragraph of its section, from 0
    start: int
    end: int
    text: str
    mentions: list[Mention] = field(default_factory=list)
    about: list[str] = field(default_factory=list)  # symbols the sentence concerns, named or by reference
    coref: bool = False
    score: float = 0.0
    confidence: float = 0.0
    target_scores: dict[str, tuple[float, float]] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)


@dataclass(slots=True)
class _Prepared:
    article: ArticleText
    sentences: list[_Sentence]
    mentions: list[Mention]


class Scorer:
    """Scores sentences, targets and articles; built once by `load_scorer`, then shared read-only."""

    def __init__(self, model: SentenceModel, tickers: Sequence[TickerRef]) -> None:
        self._model = model
        self._index = AliasIndex(tickers)
        self.model_version: str = model.info.version

    # -- sentences and targets ------------------------------------------------------------------------

    def classify(self, texts: Sequence[str]) -> list[SentenceScore]:
        """Sentence sentiment: the model and the direction x quantity rule. Typed events are weighed in
        only at article level: blended into single sentences they cost accuracy on held-out headlines."""
        scores = self._sentence_scores(texts)
        return [SentenceScore(score, label_of(score), polarity_of(score), conf) for score, conf in scores]

    def targets(self, text: str, names: Sequence[str]) -> list[TargetScore]:
        """Sentiment of ``text`` toward each name, in the given order."""
        scores = self._target_scores([(text, name, list(names)) for name in names])
        return [
            TargetScore(name, score, label_of(score), polarity_of(score), conf)
            for name, (score, conf) in zip(names, scores, strict=True)
        ]

    def _sentence_scores(self, texts: Sequence[str]) -> list[tuple[float, float]]:
        labels = self._model.info.labels
        out = []
        for text, row in zip(texts, self._model.predict(list(texts)), strict=True):
            score, conf = aggregate.score_of(row, labels)
            out.append((direction.adjust(score, text), conf))
        return out

    def _target_scores(self, items: Sequence[tuple[str, str, list[str]]]) -> list[tuple[float, float]]:
        """(sentence, target, every name in it): the clause that speaks of the target alone when the
        sentence splits cleanly ("A rose, while B fell"), else the model's pair reading of the whole."""
        clauses = [direction.target_clause(text, name, others) for text, name, others in items]
        out: list[tuple[float, float]] = [(0.0, 0.0)] * len(items)
        single = [(i, c) for i, c in enumerate(clauses) if c is not None]
        scores = self._sentence_scores([c[0] for _, c in single])
        for (i, (_, inverted)), (score, conf) in zip(single, scores, strict=True):
            out[i] = (-score if inverted else score, conf)
        paired = [i for i, c in enumerate(clauses) if c is None]
        if paired:
            probs = self._model.predict([items[i][0] for i in paired], [items[i][1] for i in paired])
            for i, row in zip(paired, probs, strict=True):
                score, conf = aggregate.score_of(row, self._model.info.labels)
                out[i] = (direction.adjust(score, items[i][0]), conf)
        return out

    def events(self, text: str) -> list[Event]:
        prepared = self._prepare(ArticleText(title="", body=text))
        self._score_sentences([prepared])  # evidence carries its sentence's score
        return self._events(prepared)

    # -- articles -------------------------------------------------------------------------------------

    def analyze(self, article: ArticleText) -> Analysis:
        return self.analyze_many([article])[0]

    def analyze_many(self, articles: Sequence[ArticleText]) -> list[Analysis]:
        prepared = [self._prepare(a) for a in articles]
        self._score_sentences(prepared)
        return [self._analysis(p) for p in prepared]

    def _prepare(self, article: ArticleText) -> _Prepared:
        texts: dict[str, str] = {"title": article.title, "body": article.body}
        mentions: list[Mention] = []
        sections: tuple[Section, Section] = ("title", "body")
        for section in sections:
            mentions += linking.find_mentions(self._index, texts[section], section)
        mentions = linking.confirm_weak(mentions, texts)
        orgs: list[Mention] = []
        for section in sections:
            orgs += linking.find_orgs(texts[section], section, mentions)
        mentions = linking.resolve_known_orgs(mentions + orgs, texts)
        sentences: list[_Sentence] = []
        for section in sections:
            paragraph, index, last_end = 0, 0, 0
            for span in split_sentences(texts[section]):
                # A blank or broken line between sentences starts a new paragraph.
                if "\n" in texts[section][last_end : span.start] and sentences and last_end:
                    paragraph, index = paragraph + 1, 0
                sentences.append(_Sentence(section, index, paragraph, span.start, span.end, span.text))
                index, last_end = index + 1, span.end
        by_section: dict[str, list[Mention]] = defaultdict(list)
        for m in mentions:
            by_section[m.section].append(m)
        last: str | None = None
        for sent in sentences:
            sent.mentions = [m for m in by_section[sent.section] if sent.start <= m.start < sent.end]
            named = list(dict.fromkeys(m.symbol for m in sent.mentions if m.symbol))
            if named:
                sent.about = named
                if sent.section == "body" or last is None:
                    last = named[0] if len(named) == 1 or sent.section == "body" else last
            elif last is not None and linking.has_anaphor(sent.text):
                sent.about, sent.coref = [last], True
        return _Prepared(article, sentences, mentions)

    def _score_sentences(self, prepared: Sequence[_Prepared]) -> None:
        """One model call for every sentence of every article, and one for every contested target."""
        sentences = [s for p in prepared for s in p.sentences]
        for sent, (score, conf) in zip(
            sentences, self._sentence_scores([s.text for s in sentences]), strict=True
        ):
            sent.score, sent.confidence = score, conf
        # A sentence naming several organisations is scored toward each ticker it names.
        pairs: list[tuple[_Sentence, str, str]] = []
        for sent in sentences:
            parties = {m.symbol or m.name for m in sent.mentions}
            if len(parties) > 1:
                for symbol in sent.about:
                    surface = next(m.name for m in sent.mentions if m.symbol == symbol)
                    pairs.append((sent, symbol, surface))
        items = [(sent.text, surface, [m.name for m in sent.mentions]) for sent, _, surface in pairs]
        for (sent, symbol, _), scored in zip(pairs, self._target_scores(items), strict=True):
            sent.target_scores[symbol] = scored

    def _analysis(self, p: _Prepared) -> Analysis:
        events = tuple(self._events(p))
        scored = [self._scored(s, s.score, s.confidence) for s in p.sentences]
        overall, confidence = aggregate.combine(scored)
        return Analysis(
            model=self.model_version,
            sentiment=Sentiment(overall, label_of(overall), confidence),
            tickers=self._tickers(p, overall),
            entities=self._entities(p),
            events=events,
        )

    @staticmethod
    def _scored(s: _Sentence, score: float, confidence: float, symbol: str | None = None) -> Scored:
        facts = [(e.type, e.attributes) for e in s.events if symbol is None or e.symbol == symbol]
        direction = aggregate.event_direction(facts)
        weight = aggregate.sentence_weight(s.section, s.index, s.paragraph, s.text, direction is not None)
        return Scored(aggregate.with_events(score, direction), confidence, weight)

    def _tickers(self, p: _Prepared, overall: float) -> tuple[TickerSentiment, ...]:
        symbols = list(dict.fromkeys([m.symbol for m in p.mentions if m.symbol]))
        explicit = [t.upper() for t in p.article.tickers]
        symbols += [s for s in explicit if s not in symbols]
        body_count = sum(1 for s in p.sentences if s.section == "body")
        total_mentions = sum(1 for m in p.mentions if m.symbol)
        out = []
        for symbol in symbols:
            ref = self._index.by_symbol.get(symbol)
            concerned = [s for s in p.sentences if symbol in s.about]
            items, evidence = [], []
            for s in concerned:
                score, conf = s.target_scores.get(symbol, (s.score, s.confidence))
                item = self._scored(s, score, conf, symbol)
                # A sentence reaching the company only through "it" / "the company" counts a little less.
                items.append(Scored(item.score, item.confidence, item.weight * (0.7 if s.coref else 1.0)))
                evidence.append((s, score))
            if items:
                score, conf = aggregate.combine(items)
            else:
                # Named at ingest but not found in the text: the article's tone, at low confidence.
                score, conf = overall, 0.3
            mentions = [m for m in p.mentions if m.symbol == symbol]
            presence = Presence(
                in_title=any(m.section == "title" for m in mentions),
                in_lead=any(s.section == "body" and s.index < 2 for s in concerned),
                mentions=len(mentions),
                total_mentions=total_mentions,
                as_subject=sum(1 for s in concerned if s.about and s.about[0] == symbol),
                sentences=sum(1 for s in concerned if s.section == "body"),
                total_sentences=body_count,
                explicit=symbol in explicit,
            )
            out.append(
                TickerSentiment(
                    symbol=symbol,
                    name=ref.name if ref else symbol,
                    relevance=aggregate.relevance(presence),
                    score=score,
                    label=label_of(score),
                    confidence=conf,
                    highlights=_highlights(evidence),
                    explicit=symbol in explicit,
                )
            )
        return tuple(sorted(out, key=lambda t: -t.relevance))

    def _entities(self, p: _Prepared) -> tuple[Entity, ...]:
        counts: dict[tuple[str, str | None], int] = defaultdict(int)
        for m in p.mentions:
            ref = self._index.by_symbol.get(m.symbol) if m.symbol else None
            counts[(ref.name if ref else m.name, m.symbol)] += 1
        return tuple(Entity(name, symbol, n) for (name, symbol), n in counts.items())

    def _events(self, p: _Prepared) -> list[Event]:
        out: list[Event] = []
        last: Party | None = None
        for s in p.sentences:
            parties = [Party(self._name(m), m.symbol, m.start - s.start, m.end - s.start) for m in s.mentions]
            subject = next((x for x in parties if x.symbol), None)
            if subject is None and s.coref and last is not None:
                subject = Party(last.name, last.symbol, -1, -1)  # named in an earlier sentence
            if subject is None and parties:
                subject = parties[0]
            for found in find_events(Context(s.text, parties, subject)):
                evidence = Highlight(s.text, s.section, s.start, s.end, s.score)
                event = Event(
                    found.type, found.symbol, found.entity, found.attributes, evidence, found.confidence
                )
                out.append(event)
                s.events.append(event)
            named = next((x for x in parties if x.symbol), None)
            if named is not None:
                last = named
        # A headline restates the body's news: keep a title event only when the body has none of its type.
        body_types = {e.type for e in out if e.evidence.section == "body"}
        kept = [e for e in out if e.evidence.section == "body" or e.type not in body_types]
        for s in p.sentences:
            if s.section == "title":
                s.events = [e for e in s.events if e in kept]
        return kept

    def _name(self, m: Mention) -> str:
        ref = self._index.by_symbol.get(m.symbol) if m.symbol else None
        return ref.name if ref else m.name


def _highlights(evidence: list[tuple[_Sentence, float]]) -> tuple[Highlight, ...]:
    """The most clearly signed sentences about a company, in reading order."""
    ranked = sorted(evidence, key=lambda e: (-abs(e[1]), e[0].section != "title", e[0].start))
    chosen = sorted(ranked[:_MAX_HIGHLIGHTS], key=lambda e: (e[0].section != "title", e[0].start))
    return tuple(Highlight(s.text, s.section, s.start, s.end, score) for s, score in chosen)


def load_scorer(tickers: Sequence[TickerRef]) -> Scorer:
    """Load the packaged model once and index the reference tickers."""
    return Scorer(SentenceModel(), tickers)
