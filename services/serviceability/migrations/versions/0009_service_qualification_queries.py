"""TMF645 queryServiceQualification: each query and its answer (the offerings found at a place), read again by id
and listed newest first.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009"
down_revision = "0008"
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
    op.execute(
        f"CREATE INDEX service_qualification_queries_newest ON {SCHEMA}.service_qualification_queries"
        " (created_at DESC, id)"
    )


def downgrade() -> None:
    op.drop_table("service_qualification_queries", schema=SCHEMA)
