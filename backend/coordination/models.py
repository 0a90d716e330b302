"""The outbox: rows written in the same transaction as the change they announce."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, JsonDoc, UtcDateTime, new_id, utcnow


class CoordinationCallback(Base):
    """A step the platform reports for a case, kept by its event id: the same one again changes nothing,
    and one that came before the step it follows waits here (applied_at empty) until it can apply."""

    __tablename__ = "coordination_callbacks"
    __table_args__ = (Index(None, "case_id", "occurred_at"),)

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    callback_type: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    # Why it waits: the code of the refusal the last try met (e.g. invalid_transition).
    waiting_for: Mapped[str | None] = mapped_column(String(40))


OWED = text("delivered_at IS NULL AND dead_at IS NULL")


class OutboxEvent(Base):
    __tablename__ = "outbox_events"
    __table_args__ = (
        Index(None, "delivered_at", "next_attempt_at"),
        # Partial, so they hold only what is owed (delivered rows pile up until pruned): the claim walks
        # owed events in order, and asks of each "is an earlier event of its case still owed?".
        Index("ix_outbox_events_owed", "occurred_at", "event_id", postgresql_where=OWED, sqlite_where=OWED),
        Index(
            "ix_outbox_events_owed_by_case",
            "case_id",
            "occurred_at",
            "event_id",
            postgresql_where=OWED,
            sqlite_where=OWED,
        ),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    event_type: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Claimed by a worker until then; a worker that died lets the claim lapse, and another takes it.
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Given up after the last attempt (dead letter); an admin may replay it.
    dead_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
