"""The roster versions announced to the services that check who sold an order.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCHEMA = "commission"


def upgrade() -> None:
    op.create_table(
        "published_rosters",
        sa.Column("version", sa.Text, primary_key=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("published_rosters", schema=SCHEMA)
