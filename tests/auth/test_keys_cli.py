"""``python -m api keys create|list|revoke`` as an operator runs it: the key is printed once, on stdout
alone; only its hash is stored; ``list`` never shows a secret; a revoked key stops authenticating."""

from __future__ import annotations

import subprocess

import asyncpg
import pytest

from core.errors import Unauthorized
from core.settings import Settings
from services.deps import Deps
from services.keys import authenticate, key_id_of
from tests.auth.cli import run_api


async def _keys(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return await run_api("keys", *args, env={"DATABASE_URL": database_url})


async def test_create_list_revoke(database_url: str, settings: Settings, pool: asyncpg.Pool) -> None:
    created = await _keys(
        database_url, "create", "--name", "cli partner", "--scopes", "read,score", "--rate", "5/s"
    )
    assert created.returncode == 0, created.stderr
    # Only the key on stdout, so `KEY=$(python -m api keys create ...)` captures exactly it.
    secret = created.stdout.strip()
    assert created.stdout == secret + "\n"
    key_id = key_id_of(secret)
    assert key_id is not None
    assert "cannot be shown again" in created.stderr and secret not in created.stderr

    row = await pool.fetchrow("select * from api_keys where key_id = $1", key_id)
    assert row is not None
    assert not any(secret in str(value) or secret.encode() == value for value in row.values())
    assert (sorted(row["scopes"]), row["rate_per_min"]) == (["read", "score"], 300)

    deps = Deps(settings=settings, pool=pool)
    assert (await authenticate(deps, key=secret)).key_id == key_id

    listed = await _keys(database_url, "list")
    assert listed.returncode == 0, listed.stderr
    (line,) = [line for line in listed.stdout.splitlines() if line.startswith(key_id)]
    assert "'cli partner'" in line and "scopes=read,score" in line and "300/min" in line and "active" in line
    assert secret not in listed.stdout and secret.split("_", 2)[2] not in listed.stdout

    revoked = await _keys(database_url, "revoke", key_id)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout, revoked.stderr
    with pytest.raises(Unauthorized) as refused:
        # A fresh process's view: nothing cached from before the revocation.
        await authenticate(Deps(settings=settings, pool=pool), key=secret)
    assert refused.value.details["reason"] == "revoked_key"


@pytest.mark.parametrize(
    "args",
    [
        ("create", "--name", "x", "--scopes", "read,superuser"),
        ("create", "--name", "x", "--scopes", "read", "--rate", "0/min"),
        ("create", "--name", "", "--scopes", "read"),
        ("revoke", "zzzzzzzz"),
    ],
)
async def test_operator_mistakes_exit_2_with_a_message(database_url: str, args: tuple[str, ...]) -> None:
    result = await _keys(database_url, *args)
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == "" and result.stderr.startswith(f"keys {args[0]}: ")
