"""Kept case counts (issue 15): cases per status, request type, category and source, and the cases
still owing something by status and deadline day, counted once from the cases already stored and
kept from then on by the workflow; and a partial index over the cases that still owe an answer or a
fix, which the overdue count and filter read.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 14:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in backend.cases.models (a migration keeps the text it was written with).
OWED = sa.text("status IN ('submitted', 'accepted', 'dispatched', 'in_progress')")


def upgrade() -> None:
    op.create_table(
        "case_counts",
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("request_type", sa.String(length=16), nullable=False),
        sa.Column("category_code", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "status", "request_type", "category_code", "source", name=op.f("pk_case_counts")
        ),
    )
    op.execute(
        "INSERT INTO case_counts (status, request_type, category_code, source, n) "
        "SELECT status, request_type, coalesce(category_code, ''), source, count(*) FROM cases "
        "GROUP BY status, request_type, coalesce(category_code, ''), source"
    )
    op.create_table(
        "case_dues",
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_day", sa.String(length=10), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("status", "due_day", name=op.f("pk_case_dues")),
    )
    # The deadline's UTC day; SQLite keeps times as UTC text.
    day = (
        "to_char(deadline_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        if op.get_bind().dialect.name == "postgresql"
        else "substr(deadline_at, 1, 10)"
    )
    op.execute(
        f"INSERT INTO case_dues (status, due_day, n) SELECT status, {day}, count(*) FROM cases "
        f"WHERE {OWED.text} AND deadline_at IS NOT NULL GROUP BY status, {day}"
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cases_owed_deadline",
            ["status", "deadline_at"],
            unique=False,
            postgresql_where=OWED,
            sqlite_where=OWED,
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_owed_deadline", postgresql_where=OWED, sqlite_where=OWED)
    op.drop_table("case_dues")
    op.drop_table("case_counts")
