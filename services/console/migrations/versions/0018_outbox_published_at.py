"""The outbox's published rows indexed by publication time: the relay's purge of rows past their retention read the
whole outbox each minute to find them.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

SCHEMA = "console"


def upgrade() -> None:
    op.create_index(
        "outbox_published_at",
        "outbox",
        ["published_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("published_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("outbox_published_at", table_name="outbox", schema=SCHEMA)
