"""Staff workflow: departments, the case's workflow columns, the audit log and the live feed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 15:58:52.764727
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import backend.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", backend.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", backend.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_departments")),
    )
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("address_digest", sa.String(length=64), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("occurred_at", backend.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_audit_entries_actor_id_users")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_audit_entries_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_entries_actor_id_occurred_at"), ["actor_id", "occurred_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_entries_case_id_occurred_at"), ["case_id", "occurred_at"], unique=False
        )

    op.create_table(
        "live_events",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("occurred_at", backend.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_live_events_case_id_cases")),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_live_events")),
    )
    with op.batch_alter_table("live_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_live_events_case_id"), ["case_id"], unique=False)

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("department_code", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("deadline_at", backend.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("accepted_at", backend.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("dispatched_at", backend.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("handled_at", backend.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_at", backend.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("rework_count", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("merged_into_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_cases_deadline_at"), ["deadline_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_department_code"), ["department_code"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_cases_department_code_departments"), "departments", ["department_code"], ["code"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_cases_merged_into_id_cases"), "cases", ["merged_into_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_cases_merged_into_id_cases"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_cases_department_code_departments"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_cases_department_code"))
        batch_op.drop_index(batch_op.f("ix_cases_deadline_at"))
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("rework_count")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("handled_at")
        batch_op.drop_column("dispatched_at")
        batch_op.drop_column("accepted_at")
        batch_op.drop_column("deadline_at")
        batch_op.drop_column("department_code")

    with op.batch_alter_table("live_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_events_case_id"))

    op.drop_table("live_events")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entries_case_id_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_audit_entries_actor_id_occurred_at"))

    op.drop_table("audit_entries")
    op.drop_table("departments")
