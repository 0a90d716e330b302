"""case followers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 05:44:54.757201
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_followers",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", backend.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_followers_case_id_cases")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_case_followers_user_id_users")),
        sa.PrimaryKeyConstraint("case_id", "user_id", name=op.f("pk_case_followers")),
    )
    with op.batch_alter_table("case_followers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_followers_user_id_created_at"), ["user_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("case_followers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_followers_user_id_created_at"))

    op.drop_table("case_followers")
