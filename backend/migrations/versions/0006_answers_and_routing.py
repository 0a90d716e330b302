"""The city answers: public messages apart from internal notes, replies and their deadlines,
reply templates, routing rules, and a perceptual hash per photo.

A timeline note was shown to the reporter, whatever it said. Rejection reasons and the department's
feedback were written for the citizen, so they become public messages; every other note stays with
staff, as nobody can tell now whether its writer meant it for the public.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 23:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PUBLIC_ACTIONS = ("reject", "handle")
# 答复时限 in hours, until a city loads its own (categories file, "reply_hours").
REPLY_HOURS = {"inquiry": 24, "help": 24, "praise": 72, "suggestion": 120}


def upgrade() -> None:
    with op.batch_alter_table("timeline_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_message", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("internal_note", sa.Text(), nullable=True))
    entries = sa.table(
        "timeline_entries",
        sa.column("action", sa.String),
        sa.column("note", sa.Text),
        sa.column("public_message", sa.Text),
        sa.column("internal_note", sa.Text),
    )
    public = entries.c.action.in_(PUBLIC_ACTIONS)
    op.execute(entries.update().where(public).values(public_message=entries.c.note))
    op.execute(entries.update().where(~public).values(internal_note=entries.c.note))
    with op.batch_alter_table("timeline_entries", schema=None) as batch_op:
        batch_op.drop_column("note")

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replied_at", backend.db.UtcDateTime(timezone=True), nullable=True))

    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phash", sa.String(length=16), nullable=True))

    deadlines = op.create_table(
        "reply_deadlines",
        sa.Column("request_type", sa.String(length=16), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("request_type", name=op.f("pk_reply_deadlines")),
    )
    op.bulk_insert(deadlines, [{"request_type": t, "hours": h} for t, h in REPLY_HOURS.items()])

    op.create_table(
        "routing_rules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("category_code", sa.String(length=16), nullable=False),
        sa.Column("grid_prefix", sa.String(length=32), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("updated_at", backend.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_code"], ["categories.code"], name=op.f("fk_routing_rules_category_code_categories")
        ),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["departments.code"],
            name=op.f("fk_routing_rules_department_code_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rules")),
        sa.UniqueConstraint(
            "category_code", "grid_prefix", name=op.f("uq_routing_rules_category_code_grid_prefix")
        ),
    )

    op.create_table(
        "reply_templates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("request_type", sa.String(length=16), nullable=True),
        sa.Column("category_code", sa.String(length=16), nullable=True),
        sa.Column("title_zh", sa.String(length=100), nullable=False),
        sa.Column("title_en", sa.String(length=100), nullable=False),
        sa.Column("text_zh", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", backend.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_code"], ["categories.code"], name=op.f("fk_reply_templates_category_code_categories")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_templates")),
    )
    with op.batch_alter_table("reply_templates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reply_templates_action"), ["action"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reply_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reply_templates_action"))
    op.drop_table("reply_templates")
    op.drop_table("routing_rules")
    op.drop_table("reply_deadlines")
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_column("phash")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("replied_at")
    with op.batch_alter_table("timeline_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
    entries = sa.table(
        "timeline_entries",
        sa.column("note", sa.Text),
        sa.column("public_message", sa.Text),
        sa.column("internal_note", sa.Text),
    )
    op.execute(
        entries.update().values(note=sa.func.coalesce(entries.c.public_message, entries.c.internal_note))
    )
    with op.batch_alter_table("timeline_entries", schema=None) as batch_op:
        batch_op.drop_column("internal_note")
        batch_op.drop_column("public_message")
