"""Operator endpoints (scope ``admin``): queue depth with dead-lettered jobs, and their retry."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from api._body import read_json
from api._params import QueryParams
from api._responses import JSONResponse
from api._state import deps_of
from api.errors import MalformedRequest
from core.errors import InvalidInput
from services.jobs import MAX_FAILED_PAGE, get_queue_stats, list_failed_jobs, retry_failed_jobs

MAX_RETRY_IDS = 1000


async def list_jobs_endpoint(request: Request) -> Response:
    q = QueryParams(request, ("limit",))
    deps = deps_of(request)
    limit = q.integer("limit", default=50, low=1, high=MAX_FAILED_PAGE)
    stats = await get_queue_stats(deps)
    failed = await list_failed_jobs(deps, limit=limit)
    return JSONResponse({"queue": asdict(stats), "failed": [asdict(job) for job in failed]})


def _job_ids(body: Any) -> list[int] | None:
    if not isinstance(body, dict) or set(body) - {"job_ids"}:
        raise MalformedRequest(
            'body must be {"job_ids": [<id>, ...]} or {} for every failed job', code="malformed_request"
        )
    ids = body.get("job_ids")
    if ids is None:
        return None
    if isinstance(ids, list):  # JSON does not tell 7 from 7.0: both are the integer 7
        ids = [int(i) if isinstance(i, float) and i.is_integer() else i for i in ids]
    valid = isinstance(ids, list) and all(
        isinstance(i, int) and not isinstance(i, bool) and 1 <= i < 2**63 for i in ids
    )
    if not valid or not 1 <= len(ids) <= MAX_RETRY_IDS:
        raise InvalidInput(
            f"job_ids must be 1 to {MAX_RETRY_IDS} positive integers", field="job_ids", code="invalid_input"
        )
    return list(dict.fromkeys(ids))


async def retry_jobs_endpoint(request: Request) -> Response:
    QueryParams(request, ())
    job_ids = _job_ids(await read_json(request))
    retried = await retry_failed_jobs(deps_of(request), job_ids=job_ids)
    return JSONResponse({"retried": retried})


def routes() -> list[BaseRoute]:
    return [
        Route("/v1/admin/jobs", list_jobs_endpoint, methods=["GET"], name="listAdminJobs"),
        Route("/v1/admin/jobs/retry", retry_jobs_endpoint, methods=["POST"], name="retryAdminJobs"),
    ]
