"""API keys: issue (shown once), authenticate (hash + constant-time compare), list, revoke.

A key reads ``tt_<key_id>_<secret>``: ``key_id`` (8 chars of [a-z0-9]) is a public lookup handle,
the secret is 32 random bytes in base64url. Only ``sha256(key)`` is stored: the secret's entropy
makes a slow KDF pointless, and a fast hash keeps authentication off the CPU budget. Lookups by
``key_id`` followed by ``hmac.compare_digest`` keep the check constant-time in the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from core.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from db import api_keys as db_api_keys
from db.api_keys import ApiKey
from services.deps import Deps

__all__ = [
    "SCOPES",
    "ApiKey",
    "IssuedKey",
    "authenticate",
    "create_key",
    "list_keys",
    "parse_rate",
    "require_scope",
    "revoke_key",
]

SCOPES: tuple[str, ...] = ("read", "ingest", "score", "admin")
_KEY = re.compile(r"^tt_([a-z0-9]{8})_[A-Za-z0-9_-]{43}$")
_ID_ALPHABET = string.ascii_lowercase + string.digits
_RATE = re.compile(r"^\s*(\d{1,7})\s*/\s*(s|sec|m|min|h|hour)\s*$")
# How long a process trusts a looked-up key; revocation reaches other processes within this.
CACHE_TTL_S = 5.0
_CACHE = "api_key_cache"


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A new key: ``secret`` is the full key, returned once and never stored."""

    key: ApiKey
    secret: str


def _hash(key: str) -> bytes:
    return hashlib.sha256(key.encode("ascii")).digest()


def key_id_of(key: str) -> str | None:
    """The public id of a well-formed key, else None; safe to log."""
    match = _KEY.match(key)
    return match.group(1) if match else None


def parse_rate(text: str) -> int:
    """``"120/min"``, ``"2/s"``, ``"600/h"`` -> requests per minute (at least 1)."""
    match = _RATE.match(text)
    if match is None:
        raise InvalidInput(f"rate {text!r} is not N/s, N/min or N/h", field="rate")
    count, unit = int(match.group(1)), match.group(2)
    per_min = {"s": count * 60, "sec": count * 60, "m": count, "min": count}.get(unit, count / 60)
    if count < 1 or per_min < 1:
        raise InvalidInput("rate must allow at least 1 request per minute", field="rate")
    return int(per_min)


def _check_scopes(scopes: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(s.strip() for s in scopes if s.strip()))
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown or not wanted:
        raise InvalidInput(f"scopes must be a non-empty subset of {', '.join(SCOPES)}", field="scopes")
    return wanted


async def create_key(
    deps: Deps,
    *,
    name: str,
    scopes: Iterable[str],
    rate_per_min: int | None = None,
    persisted_only: bool = False,
) -> IssuedKey:
    if not 1 <= len(name) <= 100:
        raise InvalidInput("name must be 1 to 100 characters", field="name")
    checked = _check_scopes(scopes)
    key_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))
    secret = f"tt_{key_id}_{secrets.token_urlsafe(32)}"
    async with deps.connection() as conn:
        key = await db_api_keys.create_api_key(
            conn,
            key_id=key_id,
            key_hash=_hash(secret),
            name=name,
            scopes=checked,
            rate_per_min=rate_per_min,
            persisted_only=persisted_only,
        )
    return IssuedKey(key=key, secret=secret)


async def list_keys(deps: Deps) -> list[ApiKey]:
    async with deps.connection() as conn:
        return await db_api_keys.list_api_keys(conn)


async def revoke_key(deps: Deps, *, key_id: str) -> ApiKey:
    async with deps.connection() as conn:
        key = await db_api_keys.revoke_api_key(conn, key_id=key_id)
    if key is None:
        raise NotFound(f"no API key with id {key_id}")
    _cache(deps).pop(key_id, None)
    return key


def _cache(deps: Deps) -> dict[str, tuple[float, ApiKey | None]]:
    cache: dict[str, tuple[float, ApiKey | None]] = deps.extras.setdefault(_CACHE, {})
    return cache


async def _lookup(deps: Deps, key_id: str) -> ApiKey | None:
    cache = _cache(deps)
    now = time.monotonic()
    hit = cache.get(key_id)
    if hit is not None and hit[0] > now:
        return hit[1]
    async with deps.connection() as conn:
        found = await db_api_keys.get_api_key(conn, key_id=key_id)
    if len(cache) > 10_000:  # unknown ids are cached too; bound the memory a key-spraying client can take
        cache.clear()
    cache[key_id] = (now + CACHE_TTL_S, found)
    return found


async def authenticate(deps: Deps, *, key: str | None) -> ApiKey:
    """The active key for a presented secret; every failure is ``Unauthorized`` with its own code."""
    if key is None or not key:
        raise Unauthorized(
            "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
            details={"reason": "missing_key"},
        )
    key_id = key_id_of(key)
    if key_id is None:
        raise Unauthorized("the API key is malformed", details={"reason": "malformed_key"})
    found = await _lookup(deps, key_id)
    refused = _refusal(found, key)
    if refused is not None or found is None:
        reason = refused or "unknown_key"
        raise Unauthorized(_REFUSALS[reason], details={"reason": reason})
    return found


def known_key(deps: Deps, *, key: str) -> ApiKey | None:
    """The active key for ``key`` when this process has it looked up already, without any I/O; ``None``
    for anything else (unknown here, stale, wrong secret, revoked): ``authenticate`` then decides."""
    key_id = key_id_of(key)
    hit = _cache(deps).get(key_id) if key_id is not None else None
    if hit is None or hit[1] is None or hit[0] <= time.monotonic():
        return None
    return hit[1] if _refusal(hit[1], key) is None else None


_REFUSALS: Final = {"unknown_key": "the API key is not valid", "revoked_key": "the API key has been revoked"}


def _refusal(found: ApiKey | None, key: str) -> str | None:
    """Why ``found`` (looked up by the id in ``key``) is not an active key for ``key``, or None."""
    # Compare even when nothing was found so an unknown id costs the same as a wrong secret.
    expected = found.key_hash if found is not None else b"\x00" * 32
    if not hmac.compare_digest(expected, _hash(key)) or found is None:
        return "unknown_key"
    if found.revoked:
        return "revoked_key"
    return None


def require_scope(key: ApiKey, scope: str) -> None:
    if scope not in key.scopes:
        raise Forbidden(
            f"this API key lacks the '{scope}' scope",
            details={"required_scope": scope, "scopes": sorted(key.scopes)},
        )
