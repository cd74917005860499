"""``python -m schema export [PATH]``: write the SDL (default ``schema/schema.graphql``)."""

from __future__ import annotations

import sys
from pathlib import Path

from core.settings import Settings
from schema.app import build_schema

DEFAULT_PATH = Path(__file__).with_name("schema.graphql")


def sdl() -> str:
    # Production settings: the exported contract is what clients see, not the development build.
    return build_schema(Settings.model_validate({"TICKERTONE_ENV": "production"})).as_str() + "\n"


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "export":
        print("usage: python -m schema export [PATH]", file=sys.stderr)
        return 2
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT_PATH
    path.write_text(sdl(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
