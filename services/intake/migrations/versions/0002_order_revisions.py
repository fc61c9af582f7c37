"""Keep the submitted request and every revision of an order.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SCHEMA = "intake"


def upgrade() -> None:
    op.add_column("orders", sa.Column("request_document", JSONB), schema=SCHEMA)
    op.create_table(
        "order_revisions",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("order_id", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("findings", JSONB, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_index("order_revisions_order_id", "order_revisions", ["order_id"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("order_revisions", schema=SCHEMA)
    op.drop_column("orders", "request_document", schema=SCHEMA)
