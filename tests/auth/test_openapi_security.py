"""The contract states what the auth, rate-limit and idempotency layers do, operation by operation.

``api.auth.required_scope`` decides which paths need a key; ``openapi/openapi.yaml`` must agree: public
operations say ``security: []``, every other one documents 401, 403 and 429 (with ``Retry-After``,
``RateLimit`` and ``RateLimit-Policy``) and sends the rate headers on success; every POST takes
``Idempotency-Key`` and documents its 409 and 422.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from api.auth import required_scope
from tests.api.contract import METHODS, load_spec

SPEC = load_spec()
OPERATIONS = [
    (path, method, op)
    for path, item in SPEC["paths"].items()
    for method, op in item.items()
    if method in METHODS
]


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    section, name = ref.removeprefix("#/components/").split("/")
    resolved: dict[str, Any] = SPEC["components"][section][name]
    return resolved


def _concrete(path: str) -> str:
    return re.sub(r"\{[^/]+\}", "X", path)


def test_schemes_and_the_default() -> None:
    schemes = SPEC["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    api_key = schemes["apiKeyAuth"]
    assert (api_key["type"], api_key["in"], api_key["name"]) == ("apiKey", "header", "X-API-Key")
    assert SPEC["security"] == [{"bearerAuth": []}, {"apiKeyAuth": []}]


@pytest.mark.parametrize(("path", "method", "op"), OPERATIONS, ids=[o["operationId"] for *_, o in OPERATIONS])
def test_operation_states_its_guards(path: str, method: str, op: dict[str, Any]) -> None:
    public = required_scope(method.upper(), _concrete(path)) is None
    responses = op["responses"]
    if public:
        assert op.get("security") == [], f"{op['operationId']} needs no key: it must say security: []"
        return
    assert op.get("security", SPEC["security"]) != [], f"{op['operationId']} needs a key"
    for status in ("401", "403", "429"):
        assert status in responses, f"{op['operationId']} does not document {status}"
    assert "WWW-Authenticate" in _resolve(responses["401"]).get("headers", {})
    too_many = _resolve(responses["429"])
    assert {"Retry-After", "RateLimit", "RateLimit-Policy"} <= set(too_many.get("headers", {}))
    for status, response in responses.items():
        if status.startswith("2"):
            headers = _resolve(response).get("headers", {})
            assert {"RateLimit", "RateLimit-Policy"} <= set(headers), f"{op['operationId']} {status}"
    if method == "post":
        refs = [p.get("$ref") for p in op.get("parameters", [])]
        assert "#/components/parameters/IdempotencyKey" in refs, f"{op['operationId']}: Idempotency-Key"
        assert {"409", "422"} <= set(responses), f"{op['operationId']}: 409 and 422"
