"""Domain records shared across layers: validated ingest input and the read models every transport renders."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator

ArticleStatus = Literal["pending", "scored", "failed"]
Order = Literal["published_desc", "published_asc"]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SYMBOL = re.compile(r"^[A-Z][A-Z0-9]{0,6}([.\-][A-Z0-9]{1,3})?$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
# Articles dated further ahead than this are a client clock or parsing bug, not news.
_MAX_CLOCK_SKEW = timedelta(days=1)


def _no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain NUL or other control characters")
    return value


def normalize_symbol(value: str) -> str:
    symbol = value.strip().lstrip("$").upper()
    if not _SYMBOL.match(symbol):
        raise ValueError(f"{value!r} is not a ticker symbol (letters and digits, optional .X class suffix)")
    return symbol


Text = Annotated[str, AfterValidator(_no_control)]
Symbol = Annotated[str, AfterValidator(normalize_symbol)]


class ArticleIn(BaseModel):
    """One article as a client submits it; every transport validates through this model."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    source: Annotated[Text, Field(min_length=1, max_length=100)]
    external_id: Annotated[Text, Field(min_length=1, max_length=200)] | None = None
    url: Annotated[Text, Field(min_length=1, max_length=2048)] | None = None
    title: Annotated[Text, Field(min_length=1, max_length=1000)]
    summary: Annotated[Text, Field(max_length=5000)] | None = None
    body: Annotated[str, Field(min_length=1, max_length=200_000)]
    authors: Annotated[list[Annotated[Text, Field(min_length=1, max_length=200)]], Field(max_length=50)] = []
    published_at: AwareDatetime
    language: Annotated[str, Field(max_length=16)] = "en"
    tickers: Annotated[list[Symbol], Field(max_length=50)] = []

    @field_validator("body")
    @classmethod
    def _body_has_no_nul(cls, value: str) -> str:
        # Newlines and tabs are normal in bodies; NUL is unstorable in Postgres text.
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value

    @field_validator("url")
    @classmethod
    def _url_is_http(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+\S*$", value):
            raise ValueError("must be an absolute http(s) URL")
        return value

    @field_validator("language")
    @classmethod
    def _language_tag(cls, value: str) -> str:
        if not _LANGUAGE.match(value):
            raise ValueError("must be a language tag such as 'en' or 'en-US'")
        return value

    @field_validator("published_at", mode="before")
    @classmethod
    def _rfc3339_text(cls, value: object) -> object:
        # Lax pydantic would read a JSON number as a Unix timestamp; the contract is RFC 3339 text.
        if not isinstance(value, str | datetime):
            raise ValueError("must be an RFC 3339 date-time string with an offset")
        return value

    @field_validator("published_at")
    @classmethod
    def _not_in_future(cls, value: datetime) -> datetime:
        if value > datetime.now(UTC) + _MAX_CLOCK_SKEW:
            raise ValueError("must not be more than a day in the future")
        if value.year < 1970:
            raise ValueError("must be 1970 or later")
        return value.astimezone(UTC)

    @field_validator("tickers")
    @classmethod
    def _unique_tickers(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


@dataclass(frozen=True, slots=True)
class TickerRef:
    """A reference ticker as entity linking sees it: the symbol and every name that may reach it."""

    symbol: str
    name: str
    aliases: tuple[str, ...] = field(default=())
    exchange: str | None = None
    sector: str | None = None
    industry: str | None = None
    # Aliases that are also ordinary words ("Target", "Block"): link them only with more evidence.
    ambiguous_aliases: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Sentiment:
    score: float
    label: str
    confidence: float
    model: str
    scored_at: datetime


@dataclass(frozen=True, slots=True)
class Article:
    id: int
    source: str
    external_id: str | None
    url: str | None
    title: str
    summary: str | None
    body: str
    authors: tuple[str, ...]
    published_at: datetime
    language: str
    status: ArticleStatus
    ingested_at: datetime
    sentiment: Sentiment | None


@dataclass(frozen=True, slots=True)
class IngestResult:
    article: Article
    created: bool


@dataclass(frozen=True, slots=True)
class Highlight:
    text: str
    section: str
    start: int
    end: int
    score: float


@dataclass(frozen=True, slots=True)
class ArticleTicker:
    """A ticker's link to an article; the score fields stay None until the article is scored."""

    article_id: int
    symbol: str
    name: str
    explicit: bool
    relevance: float | None
    score: float | None
    label: str | None
    confidence: float | None
    model: str | None
    highlights: tuple[Highlight, ...]


# The event taxonomy: what scoring extracts and what the API filters on, in one place.
EVENT_TYPES: tuple[str, ...] = (
    "acquisition",
    "merger",
    "earnings",
    "guidance",
    "analyst_rating",
    "dividend",
    "buyback",
    "layoffs",
    "legal",
    "executive_change",
    "bankruptcy",
    "offering",
)


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    article_id: int
    type: str
    symbol: str | None
    entity: str | None
    attributes: dict[str, Any]
    evidence: Highlight | None
    confidence: float
    model: str
    published_at: datetime


@dataclass(frozen=True, slots=True)
class Ticker:
    symbol: str
    name: str
    exchange: str | None
    sector: str | None
    industry: str | None
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    tickers_any: tuple[str, ...] = ()
    tickers_all: tuple[str, ...] = ()
    published_from: datetime | None = None
    published_to: datetime | None = None
    score_min: float | None = None
    score_max: float | None = None
    labels: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    search: str | None = None
    status: ArticleStatus | None = None


@dataclass(frozen=True, slots=True)
class EventFilter:
    types: tuple[str, ...] = ()
    tickers: tuple[str, ...] = ()
    published_from: datetime | None = None
    published_to: datetime | None = None
    article_id: int | None = None


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


# --- Scoring results and the scoring queue (written by the worker, read by the admin API) ---

SeriesInterval = Literal["hour", "day"]
ScoreJobStatus = Literal["queued", "running", "done", "failed"]


@dataclass(frozen=True, slots=True)
class TickerScore:
    """One ticker's sentiment in one article, as the worker stores it."""

    symbol: str
    relevance: float
    score: float
    label: str
    confidence: float
    highlights: tuple[Highlight, ...]
    explicit: bool


@dataclass(frozen=True, slots=True)
class EventScore:
    """One extracted market event, before it has an id."""

    type: str
    symbol: str | None
    entity: str | None
    attributes: dict[str, Any]
    evidence: Highlight | None
    confidence: float


@dataclass(frozen=True, slots=True)
class ArticleScore:
    """Everything one model version says about one article; stored keyed by (article_id, model)."""

    article_id: int
    model: str
    score: float
    label: str
    confidence: float
    tickers: tuple[TickerScore, ...]
    events: tuple[EventScore, ...]


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """One bucket of a ticker's sentiment series, [start, end) in UTC.

    ``score`` is the relevance-weighted mean of the newest model's ticker scores, None for an empty bucket.
    """

    start: datetime
    end: datetime
    article_count: int
    score: float | None
    positive: int
    negative: int
    neutral: int


@dataclass(frozen=True, slots=True)
class ScoreJob:
    id: int
    article_id: int
    model: str | None
    status: ScoreJobStatus
    attempts: int
    max_attempts: int
    run_after: datetime
    locked_by: str | None
    heartbeat_at: datetime | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class QueueStats:
    """Queue depth: ``queued`` is claimable now, ``delayed`` waits for a backoff, ``failed`` is dead."""

    queued: int
    delayed: int
    running: int
    failed: int
    done: int
    oldest_queued_at: datetime | None
    workers: int
