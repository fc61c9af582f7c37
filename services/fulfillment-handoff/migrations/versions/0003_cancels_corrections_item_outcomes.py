"""Cancels and corrections (order_versions), the version Operations has with its items, per-item outcomes,
the cancel sent to Operations, and who reported what.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCHEMA = "fulfillment"
EMPTY_LIST = sa.text("'[]'::jsonb")
EMPTY_OBJECT = sa.text("'{}'::jsonb")


def upgrade() -> None:
    op.create_table(
        "order_versions",
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("live_version", sa.Integer, nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True)),
        sa.Column("cancel_reason", sa.Text),
        schema=SCHEMA,
    )
    for column in (
        sa.Column("handed_off_version", sa.Integer),
        sa.Column("item_ids", JSONB, nullable=False, server_default=EMPTY_LIST),
        sa.Column("item_outcomes", JSONB, nullable=False, server_default=EMPTY_OBJECT),
        sa.Column("cancel_sent_at", sa.DateTime(timezone=True)),
    ):
        op.add_column("handoffs", column, schema=SCHEMA)
    # Orders handed off before: Operations has their version, and their items are those with billing lines.
    op.execute(
        f"UPDATE {SCHEMA}.handoffs SET handed_off_version = order_version, item_ids = COALESCE("
        "(SELECT jsonb_agg(DISTINCT line->>'itemId') FROM jsonb_array_elements(billing_lines) AS line), '[]'::jsonb)"
        " WHERE state = 'handed-off'"
    )
    op.add_column("ops_reports", sa.Column("item_ids", JSONB, nullable=False, server_default=EMPTY_LIST), schema=SCHEMA)
    op.add_column("ops_reports", sa.Column("reported_by", sa.Text), schema=SCHEMA)


def downgrade() -> None:
    for column in ("reported_by", "item_ids"):
        op.drop_column("ops_reports", column, schema=SCHEMA)
    for column in ("cancel_sent_at", "item_outcomes", "item_ids", "handed_off_version"):
        op.drop_column("handoffs", column, schema=SCHEMA)
    op.drop_table("order_versions", schema=SCHEMA)
