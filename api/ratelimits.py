"""Per-key rate limits with ``RateLimit`` / ``RateLimit-Policy`` headers and 429 + ``Retry-After``.

Runs after ``AuthMiddleware``: a REST call costs 1 unit, a GraphQL request the cost of every
operation it carries (root fields, aliases included), so batching or alias-packing buys nothing.
Headers follow draft-ietf-httpapi-ratelimit-headers: ``RateLimit-Policy: "default";q=600;w=60``
and ``RateLimit: "default";r=<remaining>;t=<seconds until the budget is full again>``.

Reads the response cache may answer are charged by the cache middleware instead, in the same Redis
round trip as its lookup (``api._charge``); refusals and headers are this middleware's either way.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api._charge import PENDING, READ_THROUGH_PREFIXES, PendingCharge, RateLimited, pending_charge
from api.auth import GRAPHQL_PATH, api_key_of, graphql_call_of
from api.errors import problem, problem_for
from api.idempotency import HEADER as IDEMPOTENCY_HEADER
from core.errors import TickertoneError
from services.deps import Deps
from services.keys import ApiKey
from services.ratelimit import Decision, Policy, charge, check_cost

log = logging.getLogger("api.ratelimits")
_IDEMPOTENCY_HEADER = IDEMPOTENCY_HEADER.encode()


def rate_headers(policy: Policy, decision: Decision) -> dict[str, str]:
    return {"RateLimit-Policy": _policy_value(policy), "RateLimit": _remaining_value(policy, decision)}


def raw_rate_headers(policy: Policy, decision: Decision) -> list[tuple[bytes, bytes]]:
    """``rate_headers`` as ASGI header pairs, for paths that build the response start themselves."""
    return [
        (b"ratelimit-policy", _policy_value(policy).encode()),
        (b"ratelimit", _remaining_value(policy, decision).encode()),
    ]


@functools.lru_cache(maxsize=1024)  # one per distinct policy
def _policy_value(policy: Policy) -> str:
    return f'"{policy.name}";q={policy.limit};w={int(policy.window_s)}'


def _remaining_value(policy: Policy, decision: Decision) -> str:
    return f'"{policy.name}";r={decision.remaining};t={max(0, math.ceil(decision.reset))}'


def _read_through(scope: Scope, deps: Deps) -> bool:
    """Whether the response cache below will settle this request's charge along with its lookup."""
    if not deps.settings.response_cache:
        return False
    method, path = scope["method"], scope["path"]
    if not (
        (method == "GET" and path.startswith(READ_THROUGH_PREFIXES))
        or (method == "POST" and path == GRAPHQL_PATH)
    ):
        return False
    # Idempotent replays are decided above the cache; charge those here, as before.
    return all(name != _IDEMPOTENCY_HEADER for name, _ in scope["headers"])


def refusal(scope: Scope, policy: Policy, decision: Decision, cost: int) -> Response:
    retry_after = max(1, math.ceil(decision.retry_after))
    return problem(
        Request(scope),
        status=429,
        code="rate_limited",
        detail=(
            f"this key's limit is {policy.limit} units per {int(policy.window_s)} s;"
            f" this request costs {cost}; retry in {retry_after} s"
        ),
        headers={**rate_headers(policy, decision), "Retry-After": str(retry_after)},
        extra={"cost": cost, "limit": policy.limit},
    )


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
        if _read_through(scope, deps):
            await self._deferred(scope, receive, send, deps=deps, key=key, cost=cost)
            return
        pending = pending_charge(scope)
        if pending is not None and pending.policy is not None and pending.decision is not None:
            # The hit path charged it already (a compiled read it passed on): that charge stands.
            policy, decision = pending.policy, pending.decision
        else:
            try:
                policy, decision = await charge(deps, key=key, cost=cost)
            except TickertoneError as exc:
                await problem_for(Request(scope), exc)(scope, receive, send)
                return
        if not decision.allowed:
            await refusal(scope, policy, decision, cost)(scope, receive, send)
            return
        headers = rate_headers(policy, decision)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _deferred(
        self, scope: Scope, receive: Receive, send: Send, *, deps: Deps, key: ApiKey, cost: int
    ) -> None:
        try:
            check_cost(key, cost)
        except TickertoneError as exc:
            await problem_for(Request(scope), exc)(scope, receive, send)
            return
        # The hit path may have charged this request already (and missed): its charge stands.
        pending = pending_charge(scope) or PendingCharge(deps, key, cost)
        scope[PENDING] = pending
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if not pending.settled:
                    # A path that forgot to settle: count the request at least (it has run by now).
                    log.error("pending rate-limit charge not settled on %s", scope["path"])
                    with contextlib.suppress(RateLimited):
                        await pending.settle()
                if pending.policy is not None and pending.decision is not None:
                    MutableHeaders(scope=message).update(rate_headers(pending.policy, pending.decision))
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except RateLimited as refused:
            if started:
                raise
            await refusal(scope, refused.policy, refused.decision, refused.cost)(scope, receive, send)
