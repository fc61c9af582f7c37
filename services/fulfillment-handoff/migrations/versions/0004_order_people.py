"""Who each order belongs to (its submitter and named reps), for per-order access: a sales rep reads only the
hand-off of their own orders. Orders held now have theirs in the approved order kept; others get them when their
next version is approved, and until then only roles that see every order read them.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SCHEMA = "fulfillment"


def upgrade() -> None:
    op.add_column("handoffs", sa.Column("submitted_by", sa.Text), schema=SCHEMA)
    op.add_column(
        "handoffs", sa.Column("sales_reps", ARRAY(sa.Text), nullable=False, server_default="{}"), schema=SCHEMA
    )
    op.execute(
        f"UPDATE {SCHEMA}.handoffs SET submitted_by = approved->'order'->>'submittedBy',"
        " sales_reps = ARRAY(SELECT jsonb_array_elements(approved->'order'->'salesReps')->>'repId')"
        " WHERE approved IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_column("handoffs", "sales_reps", schema=SCHEMA)
    op.drop_column("handoffs", "submitted_by", schema=SCHEMA)
