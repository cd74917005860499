"""Per-key rate limits: the policy (requests or GraphQL cost units per minute) and the charge."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from cache.ratelimit import Decision, RateLimiter
from core.errors import InvalidInput
from db.api_keys import ApiKey
from services.deps import Deps
from services.reads_cache import Entry, Miss, reads_cache

__all__ = [
    "DEFAULT_RATE_PER_MIN",
    "WINDOW_S",
    "Decision",
    "Policy",
    "charge",
    "charge_and_lookup",
    "check_cost",
    "policy_for",
]

# Partner default when `keys create` is given no --rate; a GraphQL operation costs its root fields.
DEFAULT_RATE_PER_MIN = 600
WINDOW_S = 60.0
_LIMITER = "rate_limiter"


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    limit: int
    window_s: float


def policy_for(key: ApiKey) -> Policy:
    return _policy(key.rate_per_min or DEFAULT_RATE_PER_MIN)


@functools.lru_cache(maxsize=1024)  # a few distinct rates; one Policy each instead of one per request
def _policy(limit: int) -> Policy:
    return Policy(name="default", limit=limit, window_s=WINDOW_S)


def _limiter(deps: Deps) -> RateLimiter:
    limiter = deps.extras.get(_LIMITER)
    if not isinstance(limiter, RateLimiter):
        # One per process: the local fallback's state must outlive a request.
        limiter = RateLimiter(deps.cache.scripts if deps.cache is not None else None)
        deps.extras[_LIMITER] = limiter
    return limiter


def _bucket(key: ApiKey) -> str:
    return f"key:{key.key_id}"


def check_cost(key: ApiKey, cost: int) -> Policy:
    """The key's policy; ``InvalidInput`` for a cost no budget refill could ever cover."""
    policy = policy_for(key)
    if cost > policy.limit:
        # It could never pass: telling the client to retry later would be a lie.
        raise InvalidInput(
            f"this request costs {cost} units but the key's limit is {policy.limit} per minute",
            code="cost_exceeds_limit",
            details={"cost": cost, "limit": policy.limit},
        )
    return policy


async def charge(deps: Deps, *, key: ApiKey, cost: int = 1) -> tuple[Policy, Decision]:
    """Spend ``cost`` units of the key's budget; the caller turns a refusal into 429."""
    policy = check_cost(key, cost)
    decision = await _limiter(deps).charge(
        _bucket(key), limit=policy.limit, window_s=policy.window_s, cost=max(1, cost)
    )
    return policy, decision


async def charge_and_lookup(
    deps: Deps, *, key: ApiKey, cost: int, digest: str, depends_on: tuple[str, ...]
) -> tuple[Policy, Decision, Entry | Miss | None]:
    """``charge``, then the response cache's lookup for ``digest`` when allowed (``None`` if refused).

    One Redis round trip for both when the response cache is on and Redis healthy: a cache hit is the
    hot path of every front-end poll.
    """
    responses = reads_cache(deps).responses
    if responses is None:
        policy, decision = await charge(deps, key=key, cost=cost)
        return policy, decision, (Miss(key=None) if decision.allowed else None)
    policy = check_cost(key, cost)
    decision, found = await responses.charge_and_get(
        _limiter(deps),
        _bucket(key),
        limit=policy.limit,
        window_s=policy.window_s,
        cost=max(1, cost),
        digest=digest,
        depends_on=depends_on,
    )
    return policy, decision, found
