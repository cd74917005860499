"""REST events: newest first, filtered by type, ticker and time; cursor pages."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from tests.api.conftest import article_json
from tests.api.test_articles import score


async def _scored(client: httpx.AsyncClient, pool: asyncpg.Pool, source: str, when: str, kind: str) -> int:
    created = await client.post(
        "/v1/articles", json=article_json(source, published_at=when, tickers=["LUMN"])
    )
    article_id: int = created.json()["id"]
    await score(pool, article_id, score=0.5, label="moderately positive", event_type=kind)
    return article_id


async def test_events_filters_and_pages(client: httpx.AsyncClient, pool: asyncpg.Pool, source: str) -> None:
    # A window of time no other test writes into, so the assertions see only these events.
    days = ["1999-03-01", "1999-03-02", "1999-03-03"]
    ids = [
        await _scored(client, pool, source, f"{day}T12:00:00Z", kind)
        for day, kind in zip(days, ["acquisition", "layoffs", "acquisition"], strict=True)
    ]
    window = {"from": "1999-03-01T00:00:00Z", "to": "1999-03-04T00:00:00Z"}

    async def article_ids(**params: Any) -> list[int]:
        response = await client.get("/v1/events", params={**window, **params})
        assert response.status_code == 200, response.text
        return [e["article_id"] for e in response.json()["data"]]

    assert await article_ids() == ids[::-1]
    assert await article_ids(type="acquisition") == [ids[2], ids[0]]
    assert await article_ids(type="layoffs,acquisition") == ids[::-1]
    assert await article_ids(tickers="lumn") == ids[::-1]
    assert await article_ids(tickers="AAPL") == []
    first = await client.get("/v1/events", params={**window, "limit": 2})
    page = first.json()
    assert [e["article_id"] for e in page["data"]] == [ids[2], ids[1]]
    assert page["next"] and first.headers["link"].startswith("<http")
    rest = (await client.get(page["next"])).json()
    assert [e["article_id"] for e in rest["data"]] == [ids[0]] and rest["next"] is None
    event = rest["data"][0]
    assert event["type"] == "acquisition" and event["symbol"] == "LUMN" and event["entity"] == "Alkira"
    assert event["evidence"]["text"] == "acquire Alkira"
