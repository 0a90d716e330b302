"""Open311 clients' keys: only a digest of each key is kept, so a copy of the database lets no one in."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, UtcDateTime, new_id, utcnow


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # The client's name, shown beside its cases in the desk (e.g. "12345 热线", "FixMyStreet").
    name: Mapped[str] = mapped_column(String(80), unique=True)
    # SHA-256 of the key: a key is 32 random bytes, so no salt or slow hash is needed to keep it safe.
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    # Its first characters, to tell keys apart in a list without showing them.
    prefix: Mapped[str] = mapped_column(String(12))
    # The account its cases are reported under (kind "client").
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
