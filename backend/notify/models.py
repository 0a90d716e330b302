"""What people hear: the live feed staff screens follow over Server-Sent Events, and the notifications
(inbox, Web Push, SMS for the outcome) the worker fans out from notify events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, JsonDoc, UtcDateTime, new_id, utcnow

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


PENDING_FANOUT = text("fanned_out_at IS NULL")
PUSH_OWED = text("delivered_at IS NULL AND failed_at IS NULL")
SMS_PENDING = text("state = 'pending'")
UNREAD = text("read_at IS NULL")


class NotifyEvent(Base):
    """待通知事件: written with the change it announces (a case step, a task, a roll call); the worker
    turns it into inbox messages, pushes and SMS for whoever should hear of it (fanout.py)."""

    __tablename__ = "notify_events"
    __table_args__ = (
        Index(
            "ix_notify_events_pending",
            "occurred_at",
            postgresql_where=PENDING_FANOUT,
            sqlite_where=PENDING_FANOUT,
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    event_type: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"))
    # The task or roll call the event is about.
    subject_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    fanned_out_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Notification(Base):
    """通知: one message in one person's inbox. Its text is rendered in the reader's language from
    `kind` and `params`, so the inbox and every device speak the language asked of them."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The same event fanned out twice (two workers, a retry) gives each person one message.
        UniqueConstraint("event_id", "user_id"),
        Index(None, "user_id", "created_at", "id"),
        Index("ix_notifications_unread", "user_id", postgresql_where=UNREAD, sqlite_where=UNREAD),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))
    # Which face of the app opens it: citizen, field or staff.
    audience: Mapped[str] = mapped_column(String(8))
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"))
    task_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    params: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PushSubscription(Base):
    """推送订阅: one browser of one person. A person may have several browsers, and one browser may
    carry several people: an inspector is a citizen too, and each face of the app signs in as its own."""

    __tablename__ = "push_subscriptions"
    __table_args__ = (UniqueConstraint("endpoint", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    endpoint: Mapped[str] = mapped_column(String(2048))
    # scheme://host[:port] of the push service: a slow one is kept from taking every slot.
    origin: Mapped[str] = mapped_column(String(300))
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PushDelivery(Base):
    """One notification owed to one subscription; sent at least once by the worker (push.py)."""

    __tablename__ = "push_deliveries"
    __table_args__ = (
        UniqueConstraint("notification_id", "subscription_id"),
        Index(
            "ix_push_deliveries_owed", "next_attempt_at", postgresql_where=PUSH_OWED, sqlite_where=PUSH_OWED
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    notification_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("push_subscriptions.id", ondelete="CASCADE"), index=True
    )
    urgency: Mapped[str] = mapped_column(String(8))
    ttl_seconds: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Given up: the service refused it for good, or the last attempt failed.
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)


class SmsOutcome(Base):
    """The SMS owed to a phone-signed-in citizen for the final outcome of their case, sent only if no
    push reached them (sms_outcome.py); `state` pending → sent | skipped."""

    __tablename__ = "sms_outcomes"
    __table_args__ = (
        Index("ix_sms_outcomes_pending", "due_at", postgresql_where=SMS_PENDING, sqlite_where=SMS_PENDING),
    )

    notification_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(8), default="pending")
    # Why it was skipped: push_delivered, rate_limited, no_phone.
    reason: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class NotificationPreference(Base):
    """What a dispatcher asked to hear beyond their own work: new cases, in some grids or all."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    new_cases: Mapped[bool] = mapped_column(default=False)
    # Empty: every grid.
    grid_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
