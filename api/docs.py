"""The REST contract (``/openapi.yaml``) and a Swagger UI page with assets from ``swagger_ui_bundle``."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import swagger_ui_bundle
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

SPEC_PATH: Final = Path(__file__).resolve().parent.parent / "openapi" / "openapi.yaml"
ASSETS_PATH: Final = "/docs/assets"

# No CDN: there is no internet where this runs, so every asset is served from the installed package.
_PAGE: Final = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Tickertone REST API</title>
  <link rel="stylesheet" href="{assets}/swagger-ui.css">
  <link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{assets}/swagger-ui-bundle.js"></script>
  <script src="{assets}/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      url: "/openapi.yaml",
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout"
    }});
  </script>
</body>
</html>
"""


def load_spec(path: Path = SPEC_PATH) -> bytes:
    return path.read_bytes()


def routes() -> list[BaseRoute]:
    spec = load_spec()
    page = _PAGE.format(assets=ASSETS_PATH)

    async def openapi_yaml(request: Request) -> Response:
        return Response(spec, media_type="application/yaml")

    async def docs(request: Request) -> Response:
        return HTMLResponse(page)

    return [
        Route("/openapi.yaml", openapi_yaml, methods=["GET"], name="getOpenApi"),
        Route("/docs", docs, methods=["GET"], name="getDocs"),
        Mount(ASSETS_PATH, app=StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="docsAssets"),
    ]
