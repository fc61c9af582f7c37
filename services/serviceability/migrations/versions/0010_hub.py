"""TMF645 hub listeners and the notifications fanned out to them.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SCHEMA = "serviceability"


def upgrade() -> None:
    op.create_table(
        "hub_subscriptions",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("callback", sa.Text, nullable=False),
        sa.Column("query", sa.Text),
        sa.Column("filter", JSONB, nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("registrant", sa.Text, nullable=False),
        sa.Column("audience", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_table(
        "hub_notifications",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "subscription_id",
            sa.Text,
            sa.ForeignKey(f"{SCHEMA}.hub_subscriptions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("dead_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        sa.UniqueConstraint("subscription_id", "event_id", name="hub_notifications_once_per_subscription"),
        schema=SCHEMA,
    )
    op.create_index(
        "hub_notifications_pending",
        "hub_notifications",
        ["subscription_id", "id"],
        schema=SCHEMA,
        postgresql_where=sa.text("delivered_at IS NULL AND dead_at IS NULL"),
    )
    op.create_index(
        "hub_notifications_dead",
        "hub_notifications",
        ["dead_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("dead_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_table("hub_notifications", schema=SCHEMA)
    op.drop_table("hub_subscriptions", schema=SCHEMA)
