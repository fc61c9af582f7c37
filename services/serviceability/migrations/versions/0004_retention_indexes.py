"""Inbox and dead-letter rows are purged by age: index the columns they age by.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

from orderdesk_shared.messaging import create_retention_indexes, drop_retention_indexes

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SCHEMA = "serviceability"


def upgrade() -> None:
    create_retention_indexes(op.get_bind(), schema=SCHEMA)


def downgrade() -> None:
    drop_retention_indexes(op.get_bind(), schema=SCHEMA)
