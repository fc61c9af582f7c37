"""The outbox's published rows indexed by publication time: the relay's purge of rows past their retention read the
whole outbox each minute to find them.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SCHEMA = "fulfillment"


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
