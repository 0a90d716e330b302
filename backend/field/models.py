"""The inspector's working day: responsible grids, shifts and their tracks, tasks, roll calls, voice
notes, and the position checks of what they file."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, UtcDateTime, new_id, utcnow

OPEN_SHIFT = text("ended_at IS NULL")
OPEN_TASK = text("status = 'open'")


class GridAssignment(Base):
    """责任网格: which inspector covers which grids."""

    __tablename__ = "grid_assignments"

    inspector_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    grid_code: Mapped[str] = mapped_column(ForeignKey("grids.code"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Shift(Base):
    """考勤: clocked in and out with time and position; the last point of its track kept at hand for the
    desk's map (a month of tracks is never scanned for it)."""

    __tablename__ = "shifts"
    __table_args__ = (
        Index(None, "inspector_id", "started_at"),
        # One open shift per inspector: clocking in twice is once, even from two phones at once.
        Index(
            "ix_shifts_open_per_inspector",
            "inspector_id",
            unique=True,
            postgresql_where=OPEN_SHIFT,
            sqlite_where=OPEN_SHIFT,
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    inspector_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    start_lat: Mapped[float]
    start_lng: Mapped[float]
    start_accuracy_m: Mapped[float | None]
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    end_lat: Mapped[float | None]
    end_lng: Mapped[float | None]
    end_accuracy_m: Mapped[float | None]
    # Patrol distance along the stored points, kept up as batches arrive.
    distance_m: Mapped[float] = mapped_column(default=0.0)
    points: Mapped[int] = mapped_column(default=0)
    last_point_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_lat: Mapped[float | None]
    last_lng: Mapped[float | None]
    last_accuracy_m: Mapped[float | None]


class TrackPoint(Base):
    """巡查轨迹: one position of a shift; a point of the same time again is the same point."""

    __tablename__ = "track_points"

    shift_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shifts.id"), primary_key=True)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    lat: Mapped[float]
    lng: Mapped[float]
    accuracy_m: Mapped[float | None]
    speed_mps: Mapped[float | None]


class TrackBatch(Base):
    """A batch of points once stored: the same batch id again stores nothing."""

    __tablename__ = "track_batches"

    batch_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    shift_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shifts.id"), index=True)
    stored: Mapped[int]
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Task(Base):
    """个人任务: verify (核实) a report before acceptance, or check (核查) a handled case."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index(None, "inspector_id", "status", "due_at"),
        # One open task of a kind per case.
        Index(
            "ix_tasks_open_per_case",
            "case_id",
            "kind",
            unique=True,
            postgresql_where=OPEN_TASK,
            sqlite_where=OPEN_TASK,
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    inspector_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    assigned_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(12), default="open")
    outcome: Mapped[str | None] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The phone's id for its result: a retry of the same result is answered, not applied twice.
    client_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    result_lat: Mapped[float | None]
    result_lng: Mapped[float | None]
    # When the inspector was told it is overdue: once, by whichever worker got there first.
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RollCall(Base):
    """点名抽查: the desk asks an inspector on shift where they are now."""

    __tablename__ = "roll_calls"
    __table_args__ = (Index(None, "inspector_id", "asked_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    inspector_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    shift_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("shifts.id"))
    asked_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lat: Mapped[float | None]
    lng: Mapped[float | None]
    accuracy_m: Mapped[float | None]
    photo_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("photos.id"))


class VoiceNote(Base):
    """录音: private, played to staff only."""

    __tablename__ = "voice_notes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"), index=True)
    mime_type: Mapped[str] = mapped_column(String(32))
    byte_size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PositionCheck(Base):
    """Where an inspector's report or task result was taken, against the case's point: the photo's
    EXIF position and time, the phone's position at submit, the track around that time. Flagged,
    never blocked."""

    __tablename__ = "position_checks"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    task_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tasks.id"))
    inspector_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    flagged: Mapped[bool]
    photo_distance_m: Mapped[float | None]
    device_distance_m: Mapped[float | None]
    track_distance_m: Mapped[float | None]
    photo_taken_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
