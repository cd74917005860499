"""A serving process tunes its garbage collector at startup; apps built elsewhere (tests) do not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import asyncio, gc, sys
from api.app import app_factory, create_app
from core.settings import Settings

async def main(serving):
    app = app_factory() if serving else create_app(Settings())
    async with app.router.lifespan_context(app):
        print(gc.get_threshold(), gc.get_freeze_count() > 0)

asyncio.run(main(sys.argv[1] == "serving"))
"""


def _probe(settings: Settings, mode: str) -> str:
    env = os.environ | {
        "DATABASE_URL": settings.database_url.get_secret_value(),
        "REDIS_URL": settings.redis_url.get_secret_value(),
        "LOG_LEVEL": "WARNING",
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_app_factory_tunes_the_collector(settings: Settings) -> None:
    assert _probe(settings, "serving") == "(20000, 50, 100) True"


def test_create_app_leaves_the_collector_alone(settings: Settings) -> None:
    assert _probe(settings, "plain") == "(700, 10, 10) False"
