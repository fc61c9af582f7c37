"""The open orders indexed by due time, so the SLA watch, the overdue lists and the open orders' figures read what
is open rather than every order ever seen.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

OPEN_ORDER = sa.text("state NOT IN ('cancelled', 'completed', 'partial')")


def upgrade() -> None:
    op.create_index(
        "orders_open_by_sla_due",
        "orders",
        ["sla_due_at", "id"],
        unique=False,
        schema="console",
        postgresql_where=OPEN_ORDER,
    )


def downgrade() -> None:
    op.drop_index("orders_open_by_sla_due", table_name="orders", schema="console", postgresql_where=OPEN_ORDER)
