"""`python -m seeds load`: upsert the reference tickers and ingest the seed articles (idempotent)."""

from __future__ import annotations

import argparse
import asyncio

from core.settings import Settings
from seeds.load import load


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m seeds", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("load", help="upsert tickers and ingest the seed articles into DATABASE_URL")
    parser.parse_args(argv)
    settings = Settings()
    asyncio.run(load(settings.database_url.get_secret_value()))


if __name__ == "__main__":
    main()
