"""schemathesis against ``openapi/openapi.yaml``: every operation, every check, then the stateful phase.

Runs against a real server (see conftest), authenticated with the session's all-scopes key. The seed
is fixed (``derandomize``) and examples are bounded so the suite is reproducible and quick.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

SPEC = Path(__file__).resolve().parents[2] / "openapi" / "openapi.yaml"

schema = schemathesis.openapi.from_path(SPEC)

CONTRACT_SETTINGS = settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    database=None,
)


@schema.parametrize()
@CONTRACT_SETTINGS
def test_operation(case: schemathesis.Case, server_url: str, auth_headers: dict[str, str]) -> None:
    case.call_and_validate(base_url=server_url, headers=auth_headers, timeout=30)
