"""REST tickers: prefix search by symbol, name or alias; pages; one ticker by symbol."""

from __future__ import annotations

import httpx


async def test_get_ticker_normalizes_the_symbol(client: httpx.AsyncClient) -> None:
    for symbol in ("LUMN", "lumn", "$LUMN"):
        response = await client.get(f"/v1/tickers/{symbol}")
        assert response.status_code == 200, symbol
        assert response.json()["symbol"] == "LUMN"
        assert "Lumen" in response.json()["aliases"]


async def test_class_share_symbol(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/tickers/brk.b")
    assert response.status_code == 200 and response.json()["name"].startswith("Berkshire")


async def test_search_by_alias_and_prefix(client: httpx.AsyncClient) -> None:
    by_alias = (await client.get("/v1/tickers", params={"search": "lumen"})).json()
    assert "LUMN" in [t["symbol"] for t in by_alias["data"]]
    by_symbol = (await client.get("/v1/tickers", params={"search": "NVD"})).json()
    assert "NVDA" in [t["symbol"] for t in by_symbol["data"]]


async def test_pages_cover_the_table_once(client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    url: str | None = "/v1/tickers?limit=100"
    while url is not None:
        response = await client.get(url)
        assert response.status_code == 200
        page = response.json()
        seen += [t["symbol"] for t in page["data"]]
        url = page["next"]
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    assert {"AAPL", "LUMN", "MSFT", "NVDA", "BRK.B"} <= set(seen)
