"""Who on the desk has each order: the console's own record of assignments, kept when the read model is rebuilt.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCHEMA = "console"


def upgrade() -> None:
    op.create_table(
        "assignments",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("order_id", sa.Text, nullable=False),
        sa.Column("order_version", sa.Integer, nullable=False),
        sa.Column("assignee", sa.Text, nullable=False),
        sa.Column("assigned_by", sa.Text, nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("assignments_order_time", "assignments", ["order_id", "assigned_at"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("assignments", schema=SCHEMA)
