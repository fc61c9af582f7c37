"""What folding an order's next lines on needs, on its row: the console folds a poll's lines into the rows it keeps
instead of folding each order's whole timeline again.

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

SCHEMA = "console"


def upgrade() -> None:
    # Rows kept before have none: their next lines fold with their whole timeline again, which fills it in.
    op.add_column("orders", sa.Column("folded", JSONB), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("orders", "folded", schema=SCHEMA)
