"""Everyone who corrected each order (from orders.corrected): none of them decides a dispute about its commission,
as its submitter and reps may not (four eyes).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SCHEMA = "commission"


def upgrade() -> None:
    op.create_table(
        "order_correctors",
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("corrected_by", sa.Text, primary_key=True),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("order_correctors", schema=SCHEMA)
