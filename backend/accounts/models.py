"""Users of every kind: anonymous devices, phone-verified citizens, staff and inspectors."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, UtcDateTime, new_id, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # "device" (anonymous phone), "citizen" (phone verified) or "staff" (username + password).
    # Indexed: the desk lists staff and inspectors among a city's worth of citizens' devices.
    kind: Mapped[str] = mapped_column(String(16), index=True)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(default=True)
    # A device that later verified a phone points at that citizen; its requests moved there.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AuthSession(Base):
    """One signed-in token. Checked at every use, so sign-out and deactivation take effect at once."""

    __tablename__ = "auth_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OtpChallenge(Base):
    """One SMS code sent. Rows double as the rate-limit ledger, so limits hold across processes."""

    __tablename__ = "otp_challenges"
    __table_args__ = (
        Index(None, "phone_digest", "created_at"),
        Index(None, "address_digest", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # Keyed HMACs: the ledger never holds a phone number, a client address or a code in clear.
    phone_digest: Mapped[str] = mapped_column(String(64))
    address_digest: Mapped[str] = mapped_column(String(64))
    code_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    consumed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
