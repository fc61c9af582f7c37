"""Inbox and dead-letter rows are purged by age: index the columns they age by.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SCHEMA = "serviceability"


def upgrade() -> None:
    op.create_index("inbox_received_at", "inbox", ["received_at"], schema=SCHEMA)
    op.create_index("dead_letters_created_at", "dead_letters", ["created_at"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("dead_letters_created_at", table_name="dead_letters", schema=SCHEMA)
    op.drop_index("inbox_received_at", table_name="inbox", schema=SCHEMA)
