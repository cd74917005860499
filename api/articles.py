"""REST for articles: ingest (one or a batch), keyset-paged lists with filters, one article by id."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, get_args

import orjson
import pydantic
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from api import representations as rep
from api._body import read_json
from api._params import QueryParams, path_id, rest_field_names
from api._responses import JSONResponse
from api._state import deps_of
from core.errors import InvalidInput
from core.records import EVENT_TYPES, Article, ArticleFilter, ArticleIn, ArticleStatus, IngestResult, Order
from core.scale import LABELS
from core.validation import validation_errors
from services.articles import (
    MAX_PAGE,
    get_article,
    get_article_json,
    list_article_events,
    list_article_tickers,
    list_articles,
    list_articles_json,
)
from services.deps import Deps
from services.ingest import ingest_articles

LIST_PARAMS = (
    "tickers",
    "tickers_all",
    "from",
    "to",
    "score_min",
    "score_max",
    "label",
    "event_type",
    "source",
    "q",
    "status",
    "order",
    "limit",
    "cursor",
    "include_body",
)
REPEATABLE = ("tickers", "tickers_all", "label", "event_type", "source")
# Service errors name GraphQL arguments; partners sent these REST parameters.
REST_NAMES = {
    "after": "cursor",
    "first": "limit",
    "search": "q",
    "scoreMin": "score_min",
    "scoreMax": "score_max",
}
ORDERS: tuple[Order, ...] = get_args(Order)
STATUSES: tuple[ArticleStatus, ...] = get_args(ArticleStatus)


class _Batch(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    articles: list[ArticleIn]


def _parse_ingest(body: Any, *, max_batch: int) -> tuple[list[ArticleIn], bool]:
    """The articles of a request body and whether it was a batch."""
    if not isinstance(body, dict):
        raise InvalidInput(
            'the body must be an article object or {"articles": [...]}',
            field="body",
            code="validation_failed",
        )
    if "articles" not in body:
        try:
            return [ArticleIn.model_validate(body)], False
        except pydantic.ValidationError as exc:
            raise validation_errors(exc) from exc
    items = body["articles"]
    # Refuse an oversized batch before validating thousands of items only to reject them all.
    if isinstance(items, list) and len(items) > max_batch:
        raise InvalidInput(
            f"a batch holds at most {max_batch} articles, got {len(items)}",
            field="articles",
            code="batch_too_large",
        )
    try:
        return _Batch.model_validate(body).articles, True
    except pydantic.ValidationError as exc:
        raise validation_errors(exc) from exc


async def _nested(deps: Deps, article_ids: Sequence[int]) -> tuple[dict[int, Any], dict[int, Any]]:
    """Tickers and events of a whole page: two statements, however many articles."""
    if not article_ids:
        return {}, {}
    tickers, events = await asyncio.gather(
        list_article_tickers(deps, article_ids=article_ids),
        list_article_events(deps, article_ids=article_ids),
    )
    return tickers, events


async def _render(deps: Deps, items: Sequence[Article], *, include_body: bool = True) -> list[rep.Json]:
    tickers, events = await _nested(deps, [a.id for a in items])
    return rep.articles(items, tickers=tickers, events=events, include_body=include_body)


async def create_articles(request: Request) -> Response:
    QueryParams(request, ())
    deps = deps_of(request)
    articles, batch = _parse_ingest(await read_json(request), max_batch=deps.settings.max_batch)
    results: list[IngestResult] = await ingest_articles(deps, articles=articles)
    # The client just sent the bodies: a batch answer without them stays a fraction of the request.
    rendered = await _render(deps, [r.article for r in results], include_body=not batch)
    created = sum(r.created for r in results)
    status = 201 if created else 200
    if not batch:
        headers = {"Location": f"/v1/articles/{results[0].article.id}"} if created else {}
        return JSONResponse(rendered[0], status_code=status, headers=headers)
    body = {
        "data": [{"created": r.created, "article": a} for r, a in zip(results, rendered, strict=True)],
        "created": created,
        "existing": len(results) - created,
    }
    return JSONResponse(body, status_code=status)


async def list_articles_endpoint(request: Request) -> Response:
    q = QueryParams(request, LIST_PARAMS, repeatable=REPEATABLE)
    deps = deps_of(request)
    filter = ArticleFilter(
        tickers_any=q.symbols("tickers"),
        tickers_all=q.symbols("tickers_all"),
        published_from=q.timestamp("from"),
        published_to=q.timestamp("to"),
        score_min=q.number("score_min", low=-1.0, high=1.0),
        score_max=q.number("score_max", low=-1.0, high=1.0),
        labels=q.choices("label", LABELS),
        event_types=q.choices("event_type", EVENT_TYPES),
        sources=q.strings("source"),
        search=q.string("q", max_length=500),
        status=q.choice("status", STATUSES),
    )
    order = q.choice("order", ORDERS) or "published_desc"
    limit = q.integer("limit", default=20, low=1, high=MAX_PAGE)
    include_body = q.boolean("include_body", default=False)
    after = q.string("cursor")
    with rest_field_names(REST_NAMES):
        rendered = await list_articles_json(
            deps, filter=filter, order=order, first=limit, after=after, include_body=include_body
        )
        if rendered is not None:
            # The articles were rendered by Postgres: spliced into the envelope as they are.
            body, headers = rep.envelope(request, rendered.next_cursor, orjson.Fragment(rendered.data))
            return JSONResponse(body, headers=headers)
        page = await list_articles(deps, filter=filter, order=order, first=limit, after=after)
    data = await _render(deps, page.items, include_body=include_body)
    body, headers = rep.page(request, page, data)
    return JSONResponse(body, headers=headers)


async def get_article_endpoint(request: Request) -> Response:
    QueryParams(request, ())
    deps = deps_of(request)
    article_id = path_id(request)
    rendered = await get_article_json(deps, article_id=article_id)
    if rendered is not None:
        return JSONResponse(orjson.Fragment(rendered))
    found = await get_article(deps, article_id=article_id)
    return JSONResponse((await _render(deps, [found]))[0])


def routes() -> list[BaseRoute]:
    return [
        Route("/v1/articles", create_articles, methods=["POST"], name="createArticles"),
        Route("/v1/articles", list_articles_endpoint, methods=["GET"], name="listArticles"),
        Route("/v1/articles/{id}", get_article_endpoint, methods=["GET"], name="getArticle"),
    ]
