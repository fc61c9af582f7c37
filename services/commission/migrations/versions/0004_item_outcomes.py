"""Each item's part of the commission, and the items Operations installed or cancelled one by one.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SCHEMA = "commission"


def upgrade() -> None:
    # Orders ratified before have no parts per item: a report on some of their items moves the whole commission.
    op.add_column("ratifications", sa.Column("item_mrr", JSONB, nullable=False, server_default="{}"), schema=SCHEMA)
    for name in ("installed_items", "cancelled_items"):
        op.add_column(
            "order_progress", sa.Column(name, ARRAY(sa.Text), nullable=False, server_default="{}"), schema=SCHEMA
        )
    # What was installed or cancelled before was the whole order ("*").
    op.execute(f"UPDATE {SCHEMA}.order_progress SET installed_items = '{{*}}' WHERE installed_on IS NOT NULL")
    op.execute(f"UPDATE {SCHEMA}.order_progress SET cancelled_items = '{{*}}' WHERE cancelled_on IS NOT NULL")


def downgrade() -> None:
    op.drop_column("order_progress", "cancelled_items", schema=SCHEMA)
    op.drop_column("order_progress", "installed_items", schema=SCHEMA)
    op.drop_column("ratifications", "item_mrr", schema=SCHEMA)
