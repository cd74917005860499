"""Projections: which parts of articles a reader asked for, under which keys and in which order.

A projection is the neutral form of a read query's selection: the schema layer builds it from a GraphQL
operation, the database layer turns it into one statement that renders the JSON. Part names are the
domain's (``published_at``, ``tickers``), keys are the reader's (``publishedAt``, an alias).

Parts an article projection may name (``fields`` are the parts of the object or list part):

- article: ``id source external_id url title summary body authors published_at language status``
  (``status`` with ``labels``), ``sentiment`` (fields: ``score label confidence model scored_at``),
  ``tickers`` (fields: ``symbol name explicit relevance sentiment highlights ticker``; their
  ``sentiment``: ``score label confidence model``; ``highlights``: ``text section start end score``;
  ``ticker``: ``symbol name exchange sector industry aliases``), ``events`` (fields: ``id type symbol
  entity attributes evidence confidence model published_at``; ``evidence`` as a highlight);
- a page of articles: ``edges`` (fields: ``cursor``, ``node`` with article parts) and ``page_info``
  (fields: ``has_next_page has_previous_page start_cursor end_cursor``);
- anywhere: ``constant``, a fixed string ``value`` (a type name).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.records import ArticleFilter, Order

CONSTANT = "constant"


@dataclass(frozen=True, slots=True)
class Part:
    key: str
    name: str
    fields: tuple[Part, ...] = ()
    value: str | None = None
    # For an enumerated part: stored value -> what the reader sees; a value not listed is an anomaly.
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ArticleLookup:
    """One article by id, projected; the whole answer is void when it does not exist."""

    key: str
    fields: tuple[Part, ...]
    article_id: int


@dataclass(frozen=True, slots=True)
class ArticlePageLookup:
    """A keyset page of articles, projected as a connection (``edges``, ``page_info``)."""

    key: str
    fields: tuple[Part, ...]
    filter: ArticleFilter
    order: Order
    first: int
    # The cursor as the reader sent it (``has_previous_page`` is whether there is one, even empty) and
    # the keyset position it decodes to, filled in by the service that checks it.
    after: str | None
    after_key: tuple[datetime, int] | None = None


Lookup = ArticleLookup | ArticlePageLookup | Part
