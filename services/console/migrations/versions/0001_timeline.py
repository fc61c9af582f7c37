"""The timeline read model, the watchdog's record and the messaging tables.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA = "console"


def upgrade() -> None:
    # The messaging tables as every service's first migration made them (later migrations changed them).
    op.create_table(
        "outbox",
        # Debezium's outbox columns, plus what the relay needs to publish a binary-mode record.
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column("seq", sa.BigInteger, sa.Identity(), nullable=False, unique=True),
        sa.Column("aggregate_type", sa.Text, nullable=False),
        sa.Column("aggregate_id", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("headers", JSONB, nullable=False),
        sa.Column("traceparent", sa.Text),
        sa.Column("tracestate", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    op.create_index(
        "outbox_unpublished", "outbox", ["seq"], schema=SCHEMA, postgresql_where=sa.text("published_at IS NULL")
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.Text, primary_key=True),
        sa.Column("message_id", sa.Text, primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("consumer", sa.Text, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column("key", sa.Text),
        sa.Column("headers", JSONB, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("error_class", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint(
            "consumer", "topic", "partition", "offset", name="dead_letters_consumer_topic_partition_offset_key"
        ),
        schema=SCHEMA,
    )
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
