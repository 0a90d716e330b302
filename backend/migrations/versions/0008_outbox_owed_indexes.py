"""Partial indexes over the owed outbox events only: the claim's walk in order and its "is an earlier
event of this case still owed?" stay small however many delivered rows wait to be pruned (the plain
(case_id, occurred_at) index let PostgreSQL scan every undelivered row per candidate).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWED = sa.text("delivered_at IS NULL AND dead_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_events_case_id_occurred_at"))
        batch_op.create_index(
            "ix_outbox_events_owed", ["occurred_at", "event_id"], postgresql_where=OWED, sqlite_where=OWED
        )
        batch_op.create_index(
            "ix_outbox_events_owed_by_case",
            ["case_id", "occurred_at", "event_id"],
            postgresql_where=OWED,
            sqlite_where=OWED,
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_events_owed_by_case")
        batch_op.drop_index("ix_outbox_events_owed")
        batch_op.create_index(
            batch_op.f("ix_outbox_events_case_id_occurred_at"), ["case_id", "occurred_at"], unique=False
        )
