"""Sign-in sessions checked at every use, the quota ledger, and a digest of what a client_id carried.

Failed sign-ins under unknown usernames are audited, so an audit entry may have no actor.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 20:45:53.816602
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quota_hits",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("bucket", sa.String(length=64), nullable=False),
        sa.Column("created_at", backend.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quota_hits")),
    )
    with op.batch_alter_table("quota_hits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quota_hits_bucket_created_at"), ["bucket", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_quota_hits_created_at"), ["created_at"], unique=False)

    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", backend.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", backend.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", backend.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_auth_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
    )
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_sessions_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_auth_sessions_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.alter_column("actor_id", existing_type=sa.Uuid(), nullable=True)

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("client_digest")

    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.alter_column("actor_id", existing_type=sa.Uuid(), nullable=False)

    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_sessions_user_id"))
        batch_op.drop_index(batch_op.f("ix_auth_sessions_expires_at"))

    op.drop_table("auth_sessions")
    with op.batch_alter_table("quota_hits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quota_hits_created_at"))
        batch_op.drop_index(batch_op.f("ix_quota_hits_bucket_created_at"))

    op.drop_table("quota_hits")
