"""Each order's trace context, kept so that a step a person or a watchdog takes on the order joins its trace;
and the version of the order each outbox row is about, which the relay's publish span names.

Revision ID: 0005
Revises: 0004
"""

from orderdesk_shared.schema_steps import add_order_traces, drop_order_traces

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SCHEMA = "serviceability"


def upgrade() -> None:
    add_order_traces(SCHEMA)


def downgrade() -> None:
    drop_order_traces(SCHEMA)
