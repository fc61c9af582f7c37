"""Inbox and dead-letter rows are purged by age: index the columns they age by.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

from orderdesk_shared.messaging import create_retention_indexes, drop_retention_indexes

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SCHEMA = "commission"


def upgrade() -> None:
    create_retention_indexes(op.get_bind(), schema=SCHEMA)


def downgrade() -> None:
    drop_retention_indexes(op.get_bind(), schema=SCHEMA)
