"""Strict query-string parsing: unknown or repeated parameters and malformed values are client errors."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Collection, Iterator, Mapping
from datetime import datetime
from typing import TypeVar

from starlette.requests import Request

from api.errors import MalformedRequest
from core.errors import InvalidInput
from core.records import normalize_symbol

T = TypeVar("T", bound=str)

MAX_VALUE_LENGTH = 2000
BIGINT_MAX = 2**63 - 1

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")
# An unencoded "+" in a query string arrives as a space: "...T13:30:00 05:00" meant "+05:00".
_PLUS_AS_SPACE = re.compile(r" (\d{2}:\d{2})$")
_RFC3339_EXAMPLE = "2026-11-20T13:30:00Z"


def _invalid(name: str, message: str, *, code: str = "invalid_parameter") -> InvalidInput:
    return InvalidInput(f"{name}: {message}", field=name, code=code)


class QueryParams:
    """The query string of one request, checked against the names an endpoint accepts."""

    def __init__(
        self, request: Request, allowed: Collection[str], *, repeatable: Collection[str] = ()
    ) -> None:
        self._params = request.query_params
        self._repeatable = frozenset(repeatable)
        unknown = sorted({k for k in self._params if k not in allowed})
        if unknown:
            accepted = ", ".join(sorted(allowed)) or "none"
            raise MalformedRequest(
                f"unknown query parameter(s): {', '.join(unknown)}; this endpoint accepts: {accepted}",
                field=unknown[0],
                code="unknown_parameter",
                details={"errors": [{"field": k, "message": "unknown query parameter"} for k in unknown]},
            )
        for key in self._params:
            values = self._params.getlist(key)
            if len(values) > 1 and key not in self._repeatable:
                raise MalformedRequest(
                    f"{key}: given {len(values)} times; send it once", field=key, code="repeated_parameter"
                )
            if any(len(v) > MAX_VALUE_LENGTH for v in values):
                raise _invalid(key, f"longer than {MAX_VALUE_LENGTH} characters", code="too_long")

    def string(self, name: str, *, max_length: int | None = None) -> str | None:
        value = self._params.get(name)
        if value is None:
            return None
        if "\x00" in value:
            raise _invalid(name, "must not contain NUL characters")
        if max_length is not None and len(value) > max_length:
            raise _invalid(name, f"longer than {max_length} characters", code="too_long")
        return value

    def strings(self, name: str) -> tuple[str, ...]:
        """Repeated and/or comma-separated values, blanks dropped, order kept, duplicates removed."""
        raw = self._params.getlist(name)
        items = [part.strip() for value in raw for part in value.split(",")]
        if any("\x00" in item for item in items):
            raise _invalid(name, "must not contain NUL characters")
        return tuple(dict.fromkeys(item for item in items if item))

    def symbols(self, name: str) -> tuple[str, ...]:
        out: list[str] = []
        for item in self.strings(name):
            try:
                out.append(normalize_symbol(item))
            except ValueError as exc:
                raise _invalid(name, str(exc)) from exc
        return tuple(dict.fromkeys(out))

    def choices(self, name: str, options: Collection[T]) -> tuple[T, ...]:
        values = self.strings(name)
        unknown = [v for v in values if v not in options]
        if unknown:
            raise _invalid(name, f"unknown value(s) {', '.join(unknown)}; one of: {', '.join(options)}")
        return tuple(v for v in options if v in values)

    def choice(self, name: str, options: Collection[T]) -> T | None:
        value = self.string(name)
        if value is None:
            return None
        for option in options:
            if value == option:
                return option
        raise _invalid(name, f"must be one of: {', '.join(options)}")

    def integer(self, name: str, *, default: int, low: int, high: int) -> int:
        value = self.string(name)
        if value is None:
            return default
        if not re.fullmatch(r"[+-]?\d{1,19}", value.strip()):
            raise _invalid(name, f"must be an integer between {low} and {high}")
        number = int(value)
        if not low <= number <= high:
            raise _invalid(name, f"must be between {low} and {high}", code="out_of_range")
        return number

    def number(self, name: str, *, low: float, high: float) -> float | None:
        value = self.string(name)
        if value is None:
            return None
        try:
            number = float(value)
        except ValueError as exc:
            raise _invalid(name, f"must be a number between {low} and {high}") from exc
        if not low <= number <= high:  # also rejects nan
            raise _invalid(name, f"must be between {low} and {high}", code="out_of_range")
        return number

    def boolean(self, name: str, *, default: bool) -> bool:
        value = self.string(name)
        if value is None:
            return default
        if value.lower() in ("true", "1"):
            return True
        if value.lower() in ("false", "0"):
            return False
        raise _invalid(name, "must be true or false")

    def timestamp(self, name: str) -> datetime | None:
        value = self.string(name)
        if value is None:
            return None
        value = _PLUS_AS_SPACE.sub(r"+\1", value.strip())
        if not _RFC3339.match(value):
            raise _invalid(
                name, f"must be an RFC 3339 date-time with a timezone offset, e.g. {_RFC3339_EXAMPLE}"
            )
        try:
            return datetime.fromisoformat(value.upper())
        except ValueError as exc:
            raise _invalid(name, f"{value!r} is not a valid date-time") from exc


def path_id(request: Request, name: str = "id") -> int:
    """A bigint primary key from the path; anything else is a 422, not a 500 from Postgres."""
    raw: str = request.path_params[name]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19 or not 1 <= int(raw) <= BIGINT_MAX:
        raise _invalid(name, f"must be an integer between 1 and {BIGINT_MAX}")
    return int(raw)


@contextlib.contextmanager
def rest_field_names(names: Mapping[str, str]) -> Iterator[None]:
    """Report service errors under the REST parameter names (e.g. GraphQL's ``after`` is ``cursor`` here)."""
    try:
        yield
    except InvalidInput as exc:
        if exc.field is not None and exc.field in names:
            exc.field = names[exc.field]
        raise
