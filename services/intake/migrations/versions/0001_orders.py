"""Orders and the messaging tables.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from orderdesk_shared.messaging import create_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA = "intake"


def upgrade() -> None:
    create_messaging_tables(op.get_bind(), schema=SCHEMA)
    op.create_table(
        "orders",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("external_id", sa.Text),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("order_type", sa.Text, nullable=False),
        sa.Column("account_id", sa.Text),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("stage", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("idempotency_key", sa.Text, unique=True),
        sa.Column("order_document", JSONB, nullable=False),
        sa.Column("findings", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_index("orders_external_id", "orders", ["external_id"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("orders", schema=SCHEMA)
    for table in ("dead_letters", "inbox", "outbox"):
        op.drop_table(table, schema=SCHEMA)
