"""GraphiQL (development only) served with its assets from this package: these machines have no internet,
and strawberry's page loads React and GraphiQL from unpkg."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Final

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from strawberry.http.ides import get_graphql_ide_html

ASSETS_DIR: Final = Path(__file__).resolve().parent / "static" / "graphiql"
ASSETS_PATH: Final = "/graphiql-assets"

# strawberry's CDN URLs -> the vendored files (scripts/vendor_graphiql.sh fetches them from npm).
_LOCAL: Final = {
    "react@": "react.production.min.js",
    "react-dom@": "react-dom.production.min.js",
    "js-cookie@": "js.cookie.min.js",
    "graphiql@.*\\.css": "graphiql.min.css",
    "graphiql@.*\\.js": "graphiql.min.js",
    "@graphiql/plugin-explorer@.*\\.css": "plugin-explorer.css",
    "@graphiql/plugin-explorer@.*\\.js": "plugin-explorer.umd.js",
}
_CDN_URL = re.compile(r'https://unpkg\.com/([^"]+)')
# Subresource-integrity hashes name the CDN builds; the vendored files are pinned by this repository instead.
_SRI = re.compile(r'\s*(?:integrity="[^"]*"|crossorigin(?=[\s>]))')


def _local_url(match: re.Match[str]) -> str:
    path = match.group(1)
    for pattern, filename in _LOCAL.items():
        if re.match(pattern, path):
            return f"{ASSETS_PATH}/{filename}"
    raise LookupError(f"no vendored GraphiQL asset for {match.group(0)}; run scripts/vendor_graphiql.sh")


@cache
def graphiql_html() -> str:
    """strawberry's GraphiQL page with every CDN reference pointing at the vendored copy."""
    page = _CDN_URL.sub(_local_url, get_graphql_ide_html("graphiql"))
    return _SRI.sub("", page)


def graphiql_asset_routes() -> list[BaseRoute]:
    return [Mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIR), name="graphiql-assets")]
