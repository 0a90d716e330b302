"""Cases (citizen requests now, inspector reports later), their timeline and numbering."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, JsonDoc, UtcDateTime, new_id, utcnow

# The statuses in which a case still owes an answer (答复时限) or a fix (处置时限): past its deadline,
# it is overdue. Written out as literals, in queries too, so the partial index below matches them.
OWED_STATUSES = ("submitted", "accepted", "dispatched", "in_progress")
OWED = text(f"status IN ({', '.join(repr(s) for s in OWED_STATUSES)})")


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index(None, "reporter_id", "created_at"),
        Index(None, "status", "created_at"),
        Index(None, "lat", "lng"),
        Index(None, "created_at"),
        # Only the cases still owing something: counting the overdue (per status) reads the index
        # entries of those past their deadline, never the closed cases that make up most of a table.
        Index("ix_cases_owed_deadline", "status", "deadline_at", postgresql_where=OWED, sqlite_where=OWED),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tracking_no: Mapped[str] = mapped_column(String(20), unique=True)
    # Made by the phone: the same client_id again is the same case, never a second one.
    client_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    # What was sent under that client_id: a retry must send the same, or it is a conflict.
    client_digest: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))
    # Which Open311 client sent it (its key's name); null for the app's own sources.
    source_client: Mapped[str | None] = mapped_column(String(80))
    request_type: Mapped[str] = mapped_column(String(16))
    category_code: Mapped[str | None] = mapped_column(ForeignKey("categories.code"), index=True)
    description: Mapped[str] = mapped_column(Text)
    lat: Mapped[float]
    lng: Mapped[float]
    accuracy_m: Mapped[float | None]
    address: Mapped[str | None] = mapped_column(String(200))
    grid_code: Mapped[str] = mapped_column(ForeignKey("grids.code"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(default=1)
    reporter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    # Personal data: shown to the reporter and to staff, never in a public answer.
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    # From Open311 clients, which may send a name and an e-mail address too: personal data as above.
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    # Answers to the category's extra questions (Open311 attributes): code -> value or list of values.
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    # Set by the workflow; the overdue flag is derived from deadline_at and now, never stored.
    department_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"), index=True)
    deadline_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    handled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # 答复: the desk answered the request itself and closed it (inquiries, suggestions, praise, help).
    replied_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    rework_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # A merged duplicate points at the case it was merged into.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"))
    rating_score: Mapped[int | None]
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class TimelineEntry(Base):
    __tablename__ = "timeline_entries"
    __table_args__ = (Index(None, "case_id", "occurred_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"))
    action: Mapped[str] = mapped_column(String(16))
    # The status the case has after this step.
    status: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(16))
    # What the reporter and followers are told at this step.
    public_message: Mapped[str | None] = mapped_column(Text)
    # For staff only: never in a citizen's or any public answer.
    internal_note: Mapped[str | None] = mapped_column(Text)
    photo_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CaseFollower(Base):
    """A citizen who follows someone else's case instead of reporting it again."""

    __tablename__ = "case_followers"
    __table_args__ = (Index(None, "user_id", "created_at"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class TrackingCounter(Base):
    """Per-day sequence behind tracking numbers (YYYYMMDD + 5 digits, city time)."""

    __tablename__ = "tracking_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_no: Mapped[int]


class CaseCount(Base):
    """案卷统计: how many cases are in each status, by request type, category and source; kept by the
    workflow in the transaction of each change, so a desk's counts never rescan the cases."""

    __tablename__ = "case_counts"

    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    request_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    # "" for none: a key column, and NULLs never conflict in a unique key.
    category_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int]


class CaseDue(Base):
    """Cases still owing an answer or a fix, by status and the UTC day their deadline falls on; kept
    with case_counts. The overdue of a status is then the days before today summed, and today's
    deadlines passed so far counted: a few hundred rows and one day of the index, however many
    cases are overdue."""

    __tablename__ = "case_dues"

    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    # YYYY-MM-DD (UTC).
    due_day: Mapped[str] = mapped_column(String(10), primary_key=True)
    n: Mapped[int]
