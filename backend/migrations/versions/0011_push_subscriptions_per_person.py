"""One browser may carry several people's push subscriptions (an inspector is a citizen too, and each
face of the app signs in as its own): unique per endpoint and person, no longer per endpoint.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 07:15:36.301816
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("push_subscriptions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_push_subscriptions_endpoint"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_push_subscriptions_endpoint_user_id"), ["endpoint", "user_id"]
        )


def downgrade() -> None:
    # Fails while a browser carries two people: remove one of them first.
    with op.batch_alter_table("push_subscriptions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_push_subscriptions_endpoint_user_id"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_push_subscriptions_endpoint"), ["endpoint"])
