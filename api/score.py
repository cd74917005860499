"""``POST /v1/score`` (scope ``score``): the Analysis of up to 20 KB of the caller's text, synchronously.

The answer reuses the stored article's shapes (``Sentiment``, ``ArticleTicker``, ``Event`` without the
ids and dates a text has not got), so a partner parses a scored text and a stored article with one model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from api._body import read_json
from api._params import QueryParams
from api._responses import JSONResponse
from api._state import deps_of
from api.errors import MalformedRequest
from core.errors import InvalidInput
from services.score_text import score_text

_FIELDS = frozenset({"title", "body", "tickers"})


def _parse(body: Any) -> tuple[str, str, list[str]]:
    if not isinstance(body, dict):
        raise MalformedRequest(
            'body must be a JSON object {"title", "body", "tickers"}', code="malformed_request"
        )
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(unknown)}", field=unknown[0], code="unknown_field")
    title = body.get("title", "")
    text = body.get("body")
    tickers = body.get("tickers", [])
    if not isinstance(title, str):
        raise InvalidInput("title must be a string", field="title")
    if not isinstance(text, str):
        raise InvalidInput("body is required and must be a string", field="body")
    if not isinstance(tickers, list) or not all(isinstance(t, str) for t in tickers):
        raise InvalidInput("tickers must be a list of symbols", field="tickers")
    return title, text, tickers


def _ticker(value: Mapping[str, Any], model: str) -> dict[str, Any]:
    scored = value.get("score") is not None and value.get("label") is not None
    return {
        "symbol": value["symbol"],
        "name": value["name"],
        "explicit": bool(value.get("explicit", False)),
        "relevance": value.get("relevance"),
        "sentiment": (
            {
                "score": value["score"],
                "label": value["label"],
                "confidence": value.get("confidence"),
                "model": model,
            }
            if scored
            else None
        ),
        "highlights": list(value.get("highlights", ())),
    }


def _event(value: Mapping[str, Any], model: str) -> dict[str, Any]:
    return {
        "type": value["type"],
        "symbol": value.get("symbol"),
        "entity": value.get("entity"),
        "attributes": dict(value.get("attributes", {})),
        "evidence": value.get("evidence"),
        "confidence": value["confidence"],
        "model": model,
    }


def render(analysis: Mapping[str, Any]) -> dict[str, Any]:
    """The engine's Analysis in the stored article's field shapes."""
    model: str = analysis["model"]
    sentiment: Mapping[str, Any] = analysis["sentiment"]
    return {
        "model": model,
        "sentiment": {**sentiment, "model": model, "scored_at": analysis["scored_at"]},
        "tickers": [_ticker(t, model) for t in analysis.get("tickers", ())],
        "entities": list(analysis.get("entities", ())),
        "events": [_event(e, model) for e in analysis.get("events", ())],
        "scored_at": analysis["scored_at"],
    }


async def score_endpoint(request: Request) -> Response:
    QueryParams(request, ())
    title, text, tickers = _parse(await read_json(request))
    analysis = await score_text(deps_of(request), title=title, body=text, tickers=tickers)
    return JSONResponse(render(analysis))


def routes() -> list[BaseRoute]:
    return [Route("/v1/score", score_endpoint, methods=["POST"], name="scoreText")]
