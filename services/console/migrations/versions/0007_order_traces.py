"""Each order's trace context, kept so that a step a person or a watchdog takes on the order joins its trace;
and the version of the order each outbox row is about, which the relay's publish span names.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SCHEMA = "console"


def upgrade() -> None:
    op.create_table(
        "order_traces",
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("traceparent", sa.Text, nullable=False),
        sa.Column("tracestate", sa.Text),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.add_column("outbox", sa.Column("order_version", sa.Integer), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("outbox", "order_version", schema=SCHEMA)
    op.drop_table("order_traces", schema=SCHEMA)
