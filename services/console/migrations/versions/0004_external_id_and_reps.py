"""The order's external id and sales reps on its row, so the desk can search by them.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SCHEMA = "console"


def upgrade() -> None:
    op.add_column("orders", sa.Column("external_id", sa.Text), schema=SCHEMA)
    op.add_column("orders", sa.Column("sales_reps", sa.Text), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("orders", "sales_reps", schema=SCHEMA)
    op.drop_column("orders", "external_id", schema=SCHEMA)
