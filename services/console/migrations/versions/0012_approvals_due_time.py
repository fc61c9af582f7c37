"""When the approvals a priced order waits for are due, on its timeline lines and its row: the console's SLA for
approvals comes from pricing-approval's due times, not from a copy of the approval matrix.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("awaiting_due_at", sa.DateTime(timezone=True), nullable=True), schema="console")
    op.add_column(
        "timeline_events", sa.Column("awaiting_due_at", sa.DateTime(timezone=True), nullable=True), schema="console"
    )


def downgrade() -> None:
    op.drop_column("timeline_events", "awaiting_due_at", schema="console")
    op.drop_column("orders", "awaiting_due_at", schema="console")
