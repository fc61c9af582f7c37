"""The items an Operations report is about, on its timeline line; each item's state on the order's row.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SCHEMA = "console"


def upgrade() -> None:
    # Lines kept before name no items: they were about the whole order (console-rebuild reads them again anyway).
    op.add_column(
        "timeline_events", sa.Column("item_ids", ARRAY(sa.Text), nullable=False, server_default="{}"), schema=SCHEMA
    )
    op.add_column("orders", sa.Column("item_states", JSONB, nullable=False, server_default="{}"), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("orders", "item_states", schema=SCHEMA)
    op.drop_column("timeline_events", "item_ids", schema=SCHEMA)
