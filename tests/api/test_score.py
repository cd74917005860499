"""``POST /v1/score`` with the real scoring engine, wired the way ``tickertone_app`` wires it.

The auth tests use a fake scorer; here the seed article's text goes through ``scoring.load_scorer`` and
must come back in the stored article's shapes (checked against ``openapi/openapi.yaml`` on every
response) with what the product promises for it: LUMN, the "moderately positive" band, its four events.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest_asyncio

import tickertone_app
from api.app import create_app
from core.scale import label_of
from core.settings import Settings
from seeds.load import REFERENCE_TITLE, SEED_ARTICLE_PATH
from services.deps import Deps
from services.keys import create_key
from services.score_text import MAX_TEXT_BYTES
from tests.api.conftest import contract_hook, serve
from tests.api.contract import Contract

SEED_TEXT = SEED_ARTICLE_PATH.read_text(encoding="utf-8").strip()


@pytest_asyncio.fixture(scope="module")
async def scoring(
    settings: Settings, contract: Contract, auth_headers: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, scorer_factory=tickertone_app.scorer_factory)
    async with serve(app, headers=auth_headers, event_hooks={"response": [contract_hook(contract)]}) as c:
        yield c


def _events(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in body["events"] if e["type"] == kind]


async def test_seed_article_scores_as_a_stored_article_would(scoring: httpx.AsyncClient) -> None:
    response = await scoring.post("/v1/score", json={"title": REFERENCE_TITLE, "body": SEED_TEXT})
    assert response.status_code == 200, response.text
    body = response.json()
    model = body["model"]
    assert model and body["sentiment"]["model"] == model
    sentiment = body["sentiment"]
    assert 0.40 <= sentiment["score"] < 0.75
    assert sentiment["label"] == "moderately positive" == label_of(sentiment["score"])
    assert 0 < sentiment["confidence"] <= 1
    assert sentiment["scored_at"] == body["scored_at"]

    # Nobody named the ticker: the engine links it from "Lumen Technologies" / "Lumen".
    lumn = [t for t in body["tickers"] if t["symbol"] == "LUMN"]
    assert len(lumn) == 1, body["tickers"]
    ticker = lumn[0]
    assert ticker["explicit"] is False
    assert ticker["relevance"] >= 0.8
    assert ticker["sentiment"]["score"] > 0.15 and ticker["sentiment"]["model"] == model
    assert ticker["highlights"] and all(
        (SEED_TEXT if h["section"] == "body" else REFERENCE_TITLE)[h["start"] : h["end"]] == h["text"]
        for h in ticker["highlights"]
    )

    (deal,) = _events(body, "acquisition")
    assert deal["symbol"] == "LUMN" and deal["model"] == model
    assert {
        k: deal["attributes"][k] for k in ("acquirer", "target", "value", "currency", "consideration")
    } == {
        "acquirer": "LUMN",
        "target": "Alkira",
        "value": 475_000_000,
        "currency": "USD",
        "consideration": "cash",
    }
    assert deal["attributes"]["status"] == "announced"
    earnings = {e["attributes"]["metric"]: e["attributes"] for e in _events(body, "earnings")}
    assert earnings["revenue"]["actual"] == 2_900_000_000
    assert earnings["revenue"]["expected"] == 2_830_000_000
    assert earnings["revenue"]["result"] == "beat"
    assert (earnings["adjusted_eps"]["actual"], earnings["adjusted_eps"]["expected"]) == (-0.47, -0.13)
    assert earnings["adjusted_eps"]["result"] == "miss"
    (guidance,) = _events(body, "guidance")
    attributes = guidance["attributes"]
    assert attributes["metric"] == "free_cash_flow" and attributes["direction"] == "raised"
    assert (attributes["low"], attributes["high"]) == (1_900_000_000, 2_100_000_000)
    # Evidence points into the text that was sent.
    for event in body["events"]:
        evidence = event["evidence"]
        assert SEED_TEXT[evidence["start"] : evidence["end"]] == evidence["text"]


async def test_named_tickers_are_explicit(scoring: httpx.AsyncClient) -> None:
    response = await scoring.post(
        "/v1/score", json={"body": "Shares rose after the company beat expectations.", "tickers": ["$msft"]}
    )
    assert response.status_code == 200, response.text
    (msft,) = [t for t in response.json()["tickers"] if t["symbol"] == "MSFT"]
    assert msft["explicit"] is True
    unknown = await scoring.post("/v1/score", json={"body": "Shares rose.", "tickers": ["ZZZZ"]})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_ticker"


async def test_twenty_kilobytes_and_not_a_byte_more(scoring: httpx.AsyncClient) -> None:
    filler = (SEED_TEXT + "\n") * (MAX_TEXT_BYTES // len(SEED_TEXT) + 1)
    exactly = filler.encode()[:MAX_TEXT_BYTES].decode("utf-8", "ignore")
    assert len(exactly.encode()) == MAX_TEXT_BYTES
    ok = await scoring.post("/v1/score", json={"body": exactly})
    assert ok.status_code == 200, ok.text
    over = await scoring.post("/v1/score", json={"body": exactly + "x"})
    assert over.status_code == 413 and over.json()["code"] == "payload_too_large"
    # The limit is bytes of UTF-8 over title and body together, not characters.
    wide = await scoring.post("/v1/score", json={"title": "Lumen", "body": "é" * (MAX_TEXT_BYTES // 2 - 2)})
    assert wide.status_code == 413, wide.text


async def test_the_score_scope_is_required(
    scoring: httpx.AsyncClient, settings: Settings, pool: asyncpg.Pool
) -> None:
    deps = Deps(settings=settings, pool=pool)
    reader = (await create_key(deps, name="score: read only", scopes=["read", "ingest"])).secret
    scorer = (await create_key(deps, name="score: score only", scopes=["score"])).secret
    payload = {"body": "Lumen beat revenue estimates."}
    forbidden = await scoring.post("/v1/score", json=payload, headers={"Authorization": f"Bearer {reader}"})
    assert forbidden.status_code == 403
    assert forbidden.json()["required_scope"] == "score"
    allowed = await scoring.post("/v1/score", json=payload, headers={"Authorization": f"Bearer {scorer}"})
    assert allowed.status_code == 200, allowed.text
    empty = await scoring.post("/v1/score", json=payload, headers={"Authorization": ""})
    assert empty.status_code == 401
