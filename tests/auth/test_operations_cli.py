"""``python -m api operations register|list``: an operator registers the documents persisted-only keys may
run; they are stored in Postgres (all or none), named after their files and printed with their hashes."""

from __future__ import annotations

import hashlib
import subprocess
import uuid
from pathlib import Path

import asyncpg

from tests.auth.cli import run_api


async def _operations(database_url: str, redis_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return await run_api("operations", *args, env={"DATABASE_URL": database_url, "REDIS_URL": redis_url})


async def test_register_and_list(
    database_url: str, redis_url: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    scale = tmp_path / f"scale_{tag}.graphql"
    scale.write_text(f"query Scale{tag} {{ sentimentScale {{ label min max }} }}\n", encoding="utf-8")
    latest = tmp_path / f"latest_{tag}.graphql"
    latest.write_text(f"query Latest{tag} {{ articles(first: 20) {{ edges {{ node {{ id }} }} }} }}\n")
    registered = await _operations(database_url, redis_url, "register", str(scale), str(latest))
    assert registered.returncode == 0, registered.stderr
    printed = dict(line.split()[::-1] for line in registered.stdout.splitlines())
    for path in (scale, latest):
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        assert printed[path.stem] == sha
        assert await pool.fetchval("select document from persisted_operations where sha256 = $1", sha) == (
            path.read_text()
        )
    # Registering again changes nothing.
    again = await _operations(database_url, redis_url, "register", str(scale))
    assert again.returncode == 0 and again.stdout.split()[0] == printed[scale.stem]
    listing = await _operations(database_url, redis_url, "list")
    assert listing.returncode == 0
    assert f"{printed[scale.stem]}  {scale.stem}" in listing.stdout


async def test_an_invalid_document_registers_nothing(
    database_url: str, redis_url: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    good = tmp_path / "good.graphql"
    good.write_text(f"query Good{uuid.uuid4().hex[:8]} {{ sentimentScale {{ label }} }}")
    bad = tmp_path / "bad.graphql"
    bad.write_text("query { sentimentScale { label ")
    result = await _operations(database_url, redis_url, "register", str(good), str(bad))
    assert result.returncode == 2
    assert "document 2 is not valid GraphQL" in result.stderr and result.stdout == ""
    sha = hashlib.sha256(good.read_bytes()).hexdigest()
    assert await pool.fetchval("select count(*) from persisted_operations where sha256 = $1", sha) == 0
    missing = await _operations(database_url, redis_url, "register", str(tmp_path / "nope.graphql"))
    assert missing.returncode == 2 and "nope.graphql" in missing.stderr
