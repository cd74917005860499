"""Per-key rate limits with ``RateLimit`` / ``RateLimit-Policy`` headers and 429 + ``Retry-After``.

Runs after ``AuthMiddleware``: a REST call costs 1 unit, a GraphQL request the cost of every
operation it carries (root fields, aliases included), so batching or alias-packing buys nothing.
Headers follow draft-ietf-httpapi-ratelimit-headers: ``RateLimit-Policy: "default";q=600;w=60``
and ``RateLimit: "default";r=<remaining>;t=<seconds until the budget is full again>``.
"""

from __future__ import annotations

import math

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import api_key_of, graphql_call_of
from api.errors import problem, problem_for
from core.errors import TickertoneError
from services.deps import Deps
from services.ratelimit import Decision, Policy, charge


def rate_headers(policy: Policy, decision: Decision) -> dict[str, str]:
    return {
        "RateLimit-Policy": f'"{policy.name}";q={policy.limit};w={int(policy.window_s)}',
        "RateLimit": f'"{policy.name}";r={decision.remaining};t={max(0, math.ceil(decision.reset))}',
    }


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        key = api_key_of(scope.get("state", {}))
        if key is None:  # public path: nothing to charge
            await self.app(scope, receive, send)
            return
        deps: Deps = scope["state"]["deps"]
        call = graphql_call_of(scope)
        cost = call.cost if call is not None else 1
        try:
            policy, decision = await charge(deps, key=key, cost=cost)
        except TickertoneError as exc:
            await problem_for(Request(scope), exc)(scope, receive, send)
            return
        headers = rate_headers(policy, decision)
        if not decision.allowed:
            retry_after = max(1, math.ceil(decision.retry_after))
            response = problem(
                Request(scope),
                status=429,
                code="rate_limited",
                detail=(
                    f"this key's limit is {policy.limit} units per {int(policy.window_s)} s;"
                    f" this request costs {cost}; retry in {retry_after} s"
                ),
                headers={**headers, "Retry-After": str(retry_after)},
                extra={"cost": cost, "limit": policy.limit},
            )
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                mutable = MutableHeaders(scope=message)
                for name, value in headers.items():
                    mutable[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
