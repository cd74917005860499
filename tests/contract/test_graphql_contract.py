"""schemathesis against ``schema/schema.graphql``: every root field, every check, authenticated.

The same real server and all-scopes key as the REST contract; fixed seed, bounded examples.

GraphQL SDL cannot state value constraints (``first`` in 1..100, positive ids, non-empty strings,
reference tickers, opaque cursors), so hypothesis-graphql sends out-of-domain values that the API
refuses with a GraphQL error. schemathesis reports every GraphQL error as a failure; this test accepts
exactly one kind: a refusal with ``data: null`` whose every error carries one of the input-error codes
the SDL documents in ``extensions.code`` (or a query-shape limit). Anything else (an ``internal``
error, an unlabelled error, partial data with errors, a non-JSON answer, any HTTP-level check) fails.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.failures import FailureGroup
from schemathesis.graphql.checks import GraphQLClientError, GraphQLServerError

SDL = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"

# Input errors the SDL documents by extensions.code: the request was refused, nothing failed.
INPUT_ERROR_CODES = frozenset(
    {
        "invalid_input",
        "validation_failed",
        "out_of_range",
        "invalid_cursor",
        "not_found",
        "unknown_ticker",
        "batch_too_large",
        # Query-shape limits (cost, depth): generated queries nest deeply; refusing them is the design.
        "cost_limit_exceeded",
        "max_depth_exceeded",
    }
)

schema = schemathesis.graphql.from_path(SDL)


def _documented_refusal(failure: Exception, payload: Any) -> bool:
    if not isinstance(failure, GraphQLClientError | GraphQLServerError):
        return False
    if not isinstance(payload, dict) or payload.get("data") is not None:
        return False
    errors: Any = payload.get("errors")
    return (
        isinstance(errors, list)
        and bool(errors)
        and all(
            isinstance(e, dict)
            and isinstance(e.get("extensions"), dict)
            and e["extensions"].get("code") in INPUT_ERROR_CODES
            for e in errors
        )
    )


@schema.parametrize()
@settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    database=None,
)
def test_root_field(case: schemathesis.Case[Any], server_url: str, auth_headers: dict[str, str]) -> None:
    response = case.call(base_url=f"{server_url}/graphql", headers=auth_headers, timeout=30)
    assert response.status_code == 200, response.text
    try:
        case.validate_response(response, headers=auth_headers)
    except FailureGroup as group:
        payload = response.json()
        rest = [f for f in group.exceptions if not _documented_refusal(f, payload)]
        if rest:
            raise FailureGroup(rest, str(group)) from None
