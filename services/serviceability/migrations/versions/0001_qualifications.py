"""Qualifications and the messaging tables.

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

SCHEMA = "serviceability"


def upgrade() -> None:
    create_messaging_tables(op.get_bind(), schema=SCHEMA)
    op.create_table(
        "qualifications",
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("order_version", sa.Integer, nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("sites", JSONB, nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in ("qualifications", "dead_letters", "inbox", "outbox"):
        op.drop_table(table, schema=SCHEMA)
