"""The desk's reviews of each order's capital: confirmations of its inputs, and flags on a site's input with the
reason, the team it is sent to and, once resolved, the team's answer; an open flag holds the order.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

SCHEMA = "pricing_approval"


def upgrade() -> None:
    op.create_table(
        "capital_reviews",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("order_id", sa.Text, nullable=False, index=True),
        sa.Column("order_version", sa.Integer, nullable=False),
        sa.Column("verdict", sa.Text, nullable=False),
        sa.Column("reviewed_by", sa.Text, nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("item_id", sa.Text),
        sa.Column("doubted_input", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("team", sa.Text),
        sa.Column("status", sa.Text),
        sa.Column("resolution", sa.Text),
        sa.Column("resolved_by", sa.Text),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.Column("closed_because", sa.Text),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("capital_reviews", schema=SCHEMA)
