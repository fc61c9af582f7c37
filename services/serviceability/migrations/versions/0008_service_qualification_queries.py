"""TMF645 queryServiceQualification: each query and its answer (the offerings found at a place), read again by id.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SCHEMA = "serviceability"


def upgrade() -> None:
    op.create_table(
        "service_qualification_queries",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("resource", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("service_qualification_queries", schema=SCHEMA)
