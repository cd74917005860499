"""Opaque keyset cursors: base64url of a versioned (published_at, id) pair."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from core.errors import InvalidCursor

_VERSION = "k1"


def encode_cursor(published_at: datetime, row_id: int) -> str:
    micros = int(published_at.timestamp() * 1_000_000)
    raw = f"{_VERSION}:{micros}:{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        version, micros, row_id = base64.urlsafe_b64decode(padded.encode("ascii")).decode().split(":")
        if version != _VERSION:
            raise ValueError(version)
        when = datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC)
        return when, int(row_id)
    except (ValueError, UnicodeError, binascii.Error, OverflowError, OSError) as exc:
        raise InvalidCursor("cursor is not one this API issued", field="after") from exc
