"""The catalogue versions pricing-approval announces, which intake validates offerings against.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SCHEMA = "intake"


def upgrade() -> None:
    op.create_table(
        "catalogues",
        sa.Column("version", sa.Text, primary_key=True),
        sa.Column("offerings", JSONB, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("catalogues", schema=SCHEMA)
