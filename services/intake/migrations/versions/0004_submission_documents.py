"""Keep each channel submission's document as it was sent.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SCHEMA = "intake"


def upgrade() -> None:
    op.add_column(
        "submissions", sa.Column("document", sa.LargeBinary, nullable=False, server_default=""), schema=SCHEMA
    )
    op.alter_column("submissions", "document", server_default=None, schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("submissions", "document", schema=SCHEMA)
