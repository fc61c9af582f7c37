"""Inbox and dead-letter rows are purged by age: index the columns they age by.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SCHEMA = "console"


def upgrade() -> None:
    op.create_index("inbox_received_at", "inbox", ["received_at"], schema=SCHEMA)
    op.create_index("dead_letters_created_at", "dead_letters", ["created_at"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("dead_letters_created_at", table_name="dead_letters", schema=SCHEMA)
    op.drop_index("inbox_received_at", table_name="inbox", schema=SCHEMA)
