"""The timeline read model, the watchdog's record and the messaging tables.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from orderdesk_shared.messaging import create_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA = "console"


def upgrade() -> None:
    create_messaging_tables(op.get_bind(), schema=SCHEMA)
    op.create_table(
        "timeline_events",
        sa.Column("message_id", sa.Text, primary_key=True),
        sa.Column("order_id", sa.Text, nullable=False),
        sa.Column("order_version", sa.Integer, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("stage", sa.Text),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("what", sa.Text, nullable=False),
        sa.Column("why", JSONB, nullable=False),
        sa.Column("trace_id", sa.Text),
        sa.Column("order_summary", JSONB),
        sa.Column("awaiting", sa.Text),
        schema=SCHEMA,
    )
    op.create_index("ix_timeline_events_order_id", "timeline_events", ["order_id"], schema=SCHEMA)
    op.create_table(
        "orders",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("order_version", sa.Integer, nullable=False),
        sa.Column("stage", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("stage_entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_event", sa.Text, nullable=False),
        sa.Column("findings", JSONB, nullable=False),
        sa.Column("blocker", sa.Text),
        sa.Column("trace_id", sa.Text),
        sa.Column("jeopardy", sa.Text),
        sa.Column("assignee", sa.Text),
        sa.Column("sla_due_at", sa.DateTime(timezone=True)),
        sa.Column("channel", sa.Text),
        sa.Column("order_type", sa.Text),
        sa.Column("account", sa.Text),
        sa.Column("submitted_by", sa.Text),
        schema=SCHEMA,
    )
    op.create_index("ix_orders_last_event_at", "orders", ["last_event_at"], schema=SCHEMA)
    op.create_index("orders_state_stage", "orders", ["state", "stage"], schema=SCHEMA)
    op.create_table(
        "jeopardy_raised",
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("order_version", sa.Integer, primary_key=True),
        sa.Column("stage", sa.Text, primary_key=True),
        sa.Column("level", sa.Text, primary_key=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in ("jeopardy_raised", "orders", "timeline_events", "dead_letters", "inbox", "outbox"):
        op.drop_table(table, schema=SCHEMA)
