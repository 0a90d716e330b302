"""Photos: the private original and its two stripped renditions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, UtcDateTime, new_id, utcnow


class Photo(Base):
    __tablename__ = "photos"
    __table_args__ = (
        UniqueConstraint("owner_id", "idempotency_key"),
        Index(None, "case_id", "position"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    # Set once the photo is attached; a photo belongs to at most one case.
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"))
    position: Mapped[int] = mapped_column(default=0)
    format: Mapped[str] = mapped_column(String(8))
    mime_type: Mapped[str] = mapped_column(String(32))
    byte_size: Mapped[int]
    # Tells a true retry (same bytes) from a reused Idempotency-Key (other bytes).
    sha256: Mapped[str] = mapped_column(String(64))
    # A perceptual hash of the picture (64 bits, hex): the same pothole photographed twice hashes alike.
    phash: Mapped[str | None] = mapped_column(String(16))
    width: Mapped[int]
    height: Mapped[int]
    display_width: Mapped[int]
    display_height: Mapped[int]
    thumb_width: Mapped[int]
    thumb_height: Mapped[int]
    taken_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # From the original's EXIF: shown to the uploader only.
    gps_lat: Mapped[float | None]
    gps_lng: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
