"""A rate-limit charge the read-through cache settles together with its lookup (one Redis round trip).

``RateLimitMiddleware`` charges most requests itself. For the reads the response cache answers (REST
GETs under ``READ_THROUGH_PREFIXES`` and POST ``/graphql``), it leaves a ``PendingCharge`` in the scope
instead: the cache middleware knows the response's key only after reading the request, and then spends
the budget and looks the response up in the same Redis script. Every path of the cache middleware
settles the charge before it runs anything below it or answers; ``RateLimited`` carries a refusal up to
``RateLimitMiddleware``, which answers 429 as for any other request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from starlette.types import Scope

from services.deps import Deps
from services.keys import ApiKey
from services.ratelimit import Decision, Policy, charge, charge_and_lookup
from services.reads_cache import Entry, Miss, reads_cache

PENDING: Final = "tickertone.pending_charge"
# Only reads whose every change bumps a generation; admin views (jobs) change without one.
READ_THROUGH_PREFIXES: Final = (
    "/v1/articles",
    "/v1/tickers",
    "/v1/events",
    "/v1/meta/",
    "/v1/news-sentiment",
)


class RateLimited(Exception):
    def __init__(self, policy: Policy, decision: Decision, cost: int) -> None:
        super().__init__("rate limited")
        self.policy = policy
        self.decision = decision
        self.cost = cost


@dataclass(slots=True)
class PendingCharge:
    deps: Deps
    key: ApiKey
    cost: int
    policy: Policy | None = None
    decision: Decision | None = None
    # Set by the hit path when it charged and looked up already and missed: where the response goes.
    miss: tuple[str, Miss] | None = None

    @property
    def settled(self) -> bool:
        return self.decision is not None

    def _record(self, policy: Policy, decision: Decision) -> None:
        self.policy, self.decision = policy, decision
        if not decision.allowed:
            raise RateLimited(policy, decision, self.cost)

    async def settle(self) -> None:
        """Charge now (once); ``RateLimited`` when the budget is spent."""
        if self.decision is None:
            self._record(*await charge(self.deps, key=self.key, cost=self.cost))

    async def settle_with_lookup(self, digest: str, depends_on: tuple[str, ...]) -> Entry | Miss:
        """Charge and look ``digest`` up together; ``RateLimited`` when the budget is spent."""
        if self.miss is not None and self.miss[0] == digest:
            return self.miss[1]
        if self.decision is not None:
            return await reads_cache(self.deps).get(digest, depends_on=depends_on)
        policy, decision, found = await charge_and_lookup(
            self.deps, key=self.key, cost=self.cost, digest=digest, depends_on=depends_on
        )
        self._record(policy, decision)
        return found if found is not None else Miss(key=None)


def pending_charge(scope: Scope) -> PendingCharge | None:
    found = scope.get(PENDING)
    return found if isinstance(found, PendingCharge) else None


async def settle(scope: Scope) -> None:
    """Settle this request's pending charge, if it has one (a no-op once settled)."""
    pending = pending_charge(scope)
    if pending is not None:
        await pending.settle()


async def lookup(scope: Scope, deps: Deps, digest: str, depends_on: tuple[str, ...]) -> Entry | Miss:
    """The response cache's lookup, charging a pending rate-limit charge in the same round trip."""
    pending = pending_charge(scope)
    if pending is None:
        return await reads_cache(deps).get(digest, depends_on=depends_on)
    return await pending.settle_with_lookup(digest, depends_on)
