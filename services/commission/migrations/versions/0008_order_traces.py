"""Each order's trace context, kept so that a step a person or a watchdog takes on the order joins its trace;
and the version of the order each outbox row is about, which the relay's publish span names.

Revision ID: 0008
Revises: 0007
"""

from orderdesk_shared.schema_steps import add_order_traces, drop_order_traces

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SCHEMA = "commission"


def upgrade() -> None:
    add_order_traces(SCHEMA)


def downgrade() -> None:
    drop_order_traces(SCHEMA)
