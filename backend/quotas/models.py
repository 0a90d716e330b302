"""The quota ledger: one row per counted use, so limits hold across processes and machines."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, UtcDateTime, new_id, utcnow


class QuotaHit(Base):
    __tablename__ = "quota_hits"
    __table_args__ = (Index(None, "bucket", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # A keyed digest of what is counted and for whom ("upload-device:<id>"): no address in clear.
    bucket: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
