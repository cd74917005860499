"""Turns pydantic validation failures into the ``InvalidInput`` of our error tree, one entry per field."""

from __future__ import annotations

import pydantic

from core.errors import InvalidInput

# A hostile batch can fail on every field of every item; the first errors are enough to fix a request.
MAX_ERRORS = 50


def field_path(loc: tuple[int | str, ...], prefix: str = "") -> str:
    """``("articles", 3, "published_at")`` -> ``articles[3].published_at``."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else part
    return path


def validation_errors(exc: pydantic.ValidationError, prefix: str = "") -> InvalidInput:
    """One ``InvalidInput`` whose ``details["errors"]`` lists ``{field, message}`` for each failure."""
    # Model-level errors (e.g. "input should be an object") have an empty loc: they name the prefix.
    errors = [
        {"field": field_path(tuple(err["loc"]), prefix) or prefix, "message": err["msg"]}
        for err in exc.errors(include_url=False, include_input=False)[:MAX_ERRORS]
    ]
    count = exc.error_count()
    first = errors[0] if errors else {"field": prefix, "message": "invalid input"}
    where = f"{first['field']}: " if first["field"] else ""
    more = f" (and {count - 1} more)" if count > 1 else ""
    return InvalidInput(
        f"{where}{first['message']}{more}",
        field=first["field"] or None,
        code="validation_failed",
        details={"errors": errors},
    )
