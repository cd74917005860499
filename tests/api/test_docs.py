"""The contract file against the app: same operations, a valid OpenAPI 3.1 document, served with its docs."""

from __future__ import annotations

import re

import httpx
import yaml
from openapi_spec_validator import validate
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from core.records import EVENT_TYPES
from core.scale import LABELS
from tests.api.contract import SPEC_PATH, Contract

# Not REST operations: static files of the docs page and of GraphiQL (development only), and GraphQL (its
# contract is schema.graphql).
NOT_IN_CONTRACT = {"/docs/assets", "/graphiql-assets", "/graphql"}


def app_operations(app: Starlette) -> dict[tuple[str, str], str]:
    ops: dict[tuple[str, str], str] = {}
    for route in app.routes:
        path = getattr(route, "path", "")
        if path in NOT_IN_CONTRACT:
            continue
        assert isinstance(route, Route), f"unexpected route {route!r}"
        for method in route.methods or ():
            if method != "HEAD":  # Starlette adds HEAD to every GET
                ops[(path, method)] = route.name
    return ops


def test_spec_is_valid_openapi_31(contract: Contract) -> None:
    validate(contract.spec)
    assert contract.spec["openapi"].startswith("3.1")


def test_every_route_is_in_the_spec_and_nothing_else(app: Starlette, contract: Contract) -> None:
    assert set(app_operations(app)) == contract.operations()


def test_operation_ids_are_the_route_names(app: Starlette, contract: Contract) -> None:
    ids = {
        (path, method.upper()): op["operationId"]
        for path, item in contract.spec["paths"].items()
        for method, op in item.items()
    }
    assert ids == app_operations(app)
    assert len(set(ids.values())) == len(ids)
    assert all(re.fullmatch(r"[a-z][A-Za-z]+", i) for i in ids.values())


def test_enums_match_the_code(contract: Contract) -> None:
    schemas = contract.spec["components"]["schemas"]
    assert tuple(schemas["SentimentLabel"]["enum"]) == LABELS
    assert tuple(schemas["EventType"]["enum"]) == EVENT_TYPES


def test_docs_assets_are_mounted(app: Starlette) -> None:
    assert any(isinstance(r, Mount) and r.path == "/docs/assets" for r in app.routes)


async def test_openapi_yaml_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.yaml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(response.content) == yaml.safe_load(SPEC_PATH.read_bytes())


async def test_docs_page_uses_local_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/docs/assets/") for a in assets), assets
    for asset in assets:
        response = await client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 100
    assert "/openapi.yaml" in page.text


async def test_missing_asset_is_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs/assets/nope.js")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
