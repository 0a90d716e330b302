"""The live feed: a numbered log of case events that staff screens follow over Server-Sent Events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, JsonDoc, UtcDateTime, utcnow

# SQLite numbers rows itself only for an INTEGER PRIMARY KEY; PostgreSQL wants 64 bits.
SeqInteger = BigInteger().with_variant(Integer(), "sqlite")


class LiveEvent(Base):
    __tablename__ = "live_events"

    # The SSE event id: a client resumes after the last one it saw (Last-Event-ID).
    seq: Mapped[int] = mapped_column(SeqInteger, primary_key=True, autoincrement=True)
    event_type: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
