"""``python -m db migrate``: apply pending migrations to ``DATABASE_URL``."""

from __future__ import annotations

import argparse
import asyncio
import sys

import asyncpg

from core.settings import Settings
from db.migrate import migrate


async def _migrate(dsn: str) -> None:
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        applied = await migrate(conn)
    finally:
        await conn.close()
    if applied:
        for name in applied:
            print(f"applied {name}")
    else:
        print("database is up to date")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m db")
    parser.add_argument("command", choices=["migrate"])
    parser.parse_args(argv)
    settings = Settings()
    try:
        asyncio.run(_migrate(settings.database_url.get_secret_value()))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"migration failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
