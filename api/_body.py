"""Request bodies: JSON only, strict UTF-8, with 400s that say exactly what is wrong."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from api.errors import MalformedRequest


def _is_json(content_type: str) -> bool:
    media_type, _, params = content_type.partition(";")
    media_type = media_type.strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        return False
    charset = next(
        (p.split("=", 1)[1].strip().strip('"').lower() for p in params.split(";") if "charset=" in p.lower()),
        "utf-8",
    )
    return charset in ("utf-8", "utf8")


async def read_json(request: Request) -> Any:
    content_type = request.headers.get("content-type", "")
    if not _is_json(content_type):
        raise MalformedRequest(
            f"Content-Type must be application/json (UTF-8), got {content_type or 'nothing'!r}",
            field="Content-Type",
            code="unsupported_media_type",
        )
    raw = await request.body()
    if not raw.strip():
        raise MalformedRequest("request body is empty; send a JSON document", code="malformed_json")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedRequest(
            f"request body is not valid UTF-8 (byte {exc.start})", code="invalid_utf8"
        ) from exc
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        # orjson's message names the line, column and character: useful, and contains no server state.
        raise MalformedRequest(f"request body is not valid JSON: {exc}", code="malformed_json") from exc
