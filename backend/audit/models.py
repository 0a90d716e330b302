"""The audit log: who looked at personal data or changed the set-up, and when."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, JsonDoc, UtcDateTime, new_id, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (Index(None, "case_id", "occurred_at"), Index(None, "actor_id", "occurred_at"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # None for a failed sign-in under a username nobody has.
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # e.g. "case.viewed", "photo.original_viewed", "department.saved".
    action: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"))
    subject: Mapped[str | None] = mapped_column(String(64))
    # A keyed digest of the caller's address, as in the OTP ledger: traceable, not a stored IP.
    address_digest: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
