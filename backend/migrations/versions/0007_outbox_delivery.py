"""Outbox delivery: a lease for the worker that claimed an event, and the dead letter.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 00:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_until", backend.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("dead_at", backend.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_outbox_events_case_id_occurred_at"), ["case_id", "occurred_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_events_case_id_occurred_at"))
        batch_op.drop_column("dead_at")
        batch_op.drop_column("lease_until")
