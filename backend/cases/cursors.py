"""Opaque keyset cursors: the order a page was read in, and the (time, id) of its last row.

One codec for every case list, the reporter's own and the staff queue, so that each checks a cursor
the same way: one made for another order, or not made by us at all, is a 400 `invalid_cursor`.
"""

from __future__ import annotations

import base64
import uuid
from datetime import datetime

import msgspec

from backend.errors import ApiError


def encode(order: str, at: datetime, row_id: uuid.UUID) -> str:
    raw = msgspec.json.encode([order, at.isoformat(), str(row_id)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, order: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_order, at, row_id = msgspec.json.decode(raw, type=tuple[str, datetime, uuid.UUID])
    except (ValueError, msgspec.DecodeError):
        raise ApiError(400, "invalid_cursor") from None
    # A cursor continues the order it was made in, and only that one.
    if cursor_order != order or at.tzinfo is None:
        raise ApiError(400, "invalid_cursor")
    return at, row_id
