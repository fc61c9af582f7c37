"""Corrected and cancelled orders, and why an approval request was withdrawn.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SCHEMA = "pricing_approval"


def upgrade() -> None:
    op.create_table(
        "order_versions",
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("live_version", sa.Integer, nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True)),
        sa.Column("cancel_reason", sa.Text),
        schema=SCHEMA,
    )
    op.add_column("approval_requests", sa.Column("withdrawn_because", sa.Text), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("approval_requests", "withdrawn_because", schema=SCHEMA)
    op.drop_table("order_versions", schema=SCHEMA)
