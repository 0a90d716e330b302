"""The inspector's day (issue 12): users indexed by kind (the desk lists its inspectors),
responsible grids, shifts and track points (with the batches already stored), verify and check
tasks, roll calls, voice notes and position checks.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 03:09:11.649749
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_kind"), ["kind"], unique=False)
    op.create_table(
        "grid_assignments",
        sa.Column("inspector_id", sa.Uuid(), nullable=False),
        sa.Column("grid_code", sa.String(length=32), nullable=False),
        sa.Column("created_at", backend.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["grid_code"], ["grids.code"], name=op.f("fk_grid_assignments_grid_code_grids")
        ),
        sa.ForeignKeyConstraint(
            ["inspector_id"], ["users.id"], name=op.f("fk_grid_assignments_inspector_id_users")
        ),
        sa.PrimaryKeyConstraint("inspector_id", "grid_code", name=op.f("pk_grid_assignments")),
    )
    with op.batch_alter_table("grid_assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grid_assignments_grid_code"), ["grid_code"], unique=False)

    op.create_table(
        "shifts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("inspector_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", backend.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("start_lat", sa.Double(), nullable=False),
        sa.Column("start_lng", sa.Double(), nullable=False),
        sa.Column("start_accuracy_m", sa.Double(), nullable=True),
        sa.Column("ended_at", backend.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("end_lat", sa.Double(), nullable=True),
        sa.Column("end_lng", sa.Double(), nullable=True),
        sa.Column("end_accuracy_m", sa.Double(), nullable=True),
        sa.Column("distance_m", sa.Double(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("last_point_at", backend.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_lat", sa.Double(), nullable=True),
        sa.Column("last_lng", sa.Double(), nullable=True),
        sa.Column("last_accuracy_m", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(["inspector_id"], ["users.id"], name=op.f("fk_shifts_inspector_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shifts")),
    )
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shifts_inspector_id_started_at"), ["inspector_id", "started_at"], unique=False
        )
        batch_op.create_index(
            "ix_shifts_open_per_inspector",
            ["inspector_id"],
            unique=True,
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        )

    op.create_table(
        "tasks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("inspector_id", sa.Uuid(), nullable=False),
        sa.Column("assigned_by", sa.Uuid(), nullable=True),
        sa.Column("assigned_at", backend.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("due_at", backend.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("completed_at", backend.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.Column("result_lat", sa.Double(), nullable=True),
        sa.Column("result_lng", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(["assigned_by"], ["users.id"], name=op.f("fk_tasks_assigned_by_users")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_tasks_case_id_cases")),
        sa.ForeignKeyConstraint(["inspector_id"], ["users.id"], name=op.f("fk_tasks_inspector_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("client_id", name=op.f("uq_tasks_client_id")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tasks_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_tasks_inspector_id_status_due_at"),
            ["inspector_id", "status", "due_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_tasks_open_per_case",
            ["case_id", "kind"],
            unique=True,
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        )

    op.create_table(
        "track_batches",
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("shift_id", sa.Uuid(), nullable=False),
        sa.Column("stored", sa.Integer(), nullable=False),
        sa.Column("received_at", backend.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["shift_id"], ["shifts.id"], name=op.f("fk_track_batches_shift_id_shifts")),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_track_batches")),
    )
    with op.batch_alter_table("track_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_track_batches_shift_id"), ["shift_id"], unique=False)

    op.create_table(
        "track_points",
        sa.Column("shift_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", backend.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lng", sa.Double(), nullable=False),
        sa.Column("accuracy_m", sa.Double(), nullable=True),
        sa.Column("speed_mps", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(["shift_id"], ["shifts.id"], name=op.f("fk_track_points_shift_id_shifts")),
        sa.PrimaryKeyConstraint("shift_id", "recorded_at", name=op.f("pk_track_points")),
    )
    op.create_table(
        "voice_notes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("mime_type", sa.String(length=32), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("created_at", backend.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_voice_notes_case_id_cases")),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_voice_notes_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_notes")),
    )
    with op.batch_alter_table("voice_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_voice_notes_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_voice_notes_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "position_checks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=True),
        sa.Column("inspector_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", backend.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("photo_distance_m", sa.Double(), nullable=True),
        sa.Column("device_distance_m", sa.Double(), nullable=True),
        sa.Column("track_distance_m", sa.Double(), nullable=True),
        sa.Column("photo_taken_at", backend.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_position_checks_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["inspector_id"], ["users.id"], name=op.f("fk_position_checks_inspector_id_users")
        ),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_position_checks_task_id_tasks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_position_checks")),
    )
    with op.batch_alter_table("position_checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_position_checks_case_id"), ["case_id"], unique=False)

    op.create_table(
        "roll_calls",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("inspector_id", sa.Uuid(), nullable=False),
        sa.Column("shift_id", sa.Uuid(), nullable=True),
        sa.Column("asked_by", sa.Uuid(), nullable=False),
        sa.Column("asked_at", backend.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", backend.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("lng", sa.Double(), nullable=True),
        sa.Column("accuracy_m", sa.Double(), nullable=True),
        sa.Column("photo_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["asked_by"], ["users.id"], name=op.f("fk_roll_calls_asked_by_users")),
        sa.ForeignKeyConstraint(
            ["inspector_id"], ["users.id"], name=op.f("fk_roll_calls_inspector_id_users")
        ),
        sa.ForeignKeyConstraint(["photo_id"], ["photos.id"], name=op.f("fk_roll_calls_photo_id_photos")),
        sa.ForeignKeyConstraint(["shift_id"], ["shifts.id"], name=op.f("fk_roll_calls_shift_id_shifts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roll_calls")),
    )
    with op.batch_alter_table("roll_calls", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_roll_calls_inspector_id_asked_at"), ["inspector_id", "asked_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_kind"))
    with op.batch_alter_table("roll_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roll_calls_inspector_id_asked_at"))

    op.drop_table("roll_calls")
    with op.batch_alter_table("position_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_position_checks_case_id"))

    op.drop_table("position_checks")
    with op.batch_alter_table("voice_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_voice_notes_owner_id"))
        batch_op.drop_index(batch_op.f("ix_voice_notes_case_id"))

    op.drop_table("voice_notes")
    op.drop_table("track_points")
    with op.batch_alter_table("track_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_track_batches_shift_id"))

    op.drop_table("track_batches")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_tasks_open_per_case",
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        )
        batch_op.drop_index(batch_op.f("ix_tasks_inspector_id_status_due_at"))
        batch_op.drop_index(batch_op.f("ix_tasks_case_id"))

    op.drop_table("tasks")
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_shifts_open_per_inspector",
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_shifts_inspector_id_started_at"))

    op.drop_table("shifts")
    with op.batch_alter_table("grid_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grid_assignments_grid_code"))

    op.drop_table("grid_assignments")
