"""Outbox delivery (a lease for the worker that claimed an event, and the dead letter) and the
platform's callbacks, kept by event id.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 00:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import backend.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coordination_callbacks",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("callback_type", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("payload", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("occurred_at", backend.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("received_at", backend.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("applied_at", backend.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("waiting_for", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_coordination_callbacks_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_coordination_callbacks")),
    )
    with op.batch_alter_table("coordination_callbacks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coordination_callbacks_applied_at"), ["applied_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_coordination_callbacks_case_id_occurred_at"),
            ["case_id", "occurred_at"],
            unique=False,
        )
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_until", backend.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("dead_at", backend.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_outbox_events_case_id_occurred_at"), ["case_id", "occurred_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("coordination_callbacks")
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_events_case_id_occurred_at"))
        batch_op.drop_column("dead_at")
        batch_op.drop_column("lease_until")
