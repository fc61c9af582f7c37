"""When each order was handed off and ratified, indexed with its receipt, for the dashboard's throughput.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SCHEMA = "console"
MILESTONES = ("received_at", "handed_off_at", "ratified_at")


def upgrade() -> None:
    op.add_column("orders", sa.Column("handed_off_at", sa.DateTime(timezone=True)), schema=SCHEMA)
    op.add_column("orders", sa.Column("ratified_at", sa.DateTime(timezone=True)), schema=SCHEMA)
    for column in MILESTONES:
        op.create_index(f"ix_orders_{column}", "orders", [column], schema=SCHEMA)


def downgrade() -> None:
    for column in MILESTONES:
        op.drop_index(f"ix_orders_{column}", table_name="orders", schema=SCHEMA)
    op.drop_column("orders", "ratified_at", schema=SCHEMA)
    op.drop_column("orders", "handed_off_at", schema=SCHEMA)
