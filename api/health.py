"""Liveness (``/healthz``: the process answers) and readiness (``/readyz``: Postgres reachable)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from api._responses import JSONResponse
from api._state import deps_of
from api.errors import problem
from services.health import readiness


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    ready = await readiness(deps_of(request))
    components = {"postgres": ready.postgres, "redis": ready.redis}
    if ready.postgres != "ok":
        # Load balancers take the replica out of rotation; the body still says which part failed.
        return problem(
            request,
            status=503,
            code="unavailable",
            detail="Postgres is not reachable",
            headers={"Retry-After": "2"},
            extra=components,
        )
    # Reads fall back to Postgres without Redis: serve, but say so.
    status = "ok" if ready.redis == "ok" else "degraded"
    return JSONResponse({"status": status, **components})


def routes() -> list[BaseRoute]:
    return [
        Route("/healthz", healthz, methods=["GET"], name="getHealth"),
        Route("/readyz", readyz, methods=["GET"], name="getReadiness"),
    ]
