"""What the reports read of each event, with the event's time: a past period's report reads these, never today's order
rows. Events consumed before this revision have no facts until `console-rebuild` reads the topics again.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_facts",
        sa.Column("message_id", sa.Text, primary_key=True),
        sa.Column("order_id", sa.Text, nullable=False),
        sa.Column("order_version", sa.Integer, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fact", JSONB, nullable=False),
        schema="console",
    )
    op.create_index("report_facts_kind_time", "report_facts", ["kind", "occurred_at"], schema="console")
    op.create_index("report_facts_order", "report_facts", ["order_id"], schema="console")


def downgrade() -> None:
    op.drop_table("report_facts", schema="console")
