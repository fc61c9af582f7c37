"""Changes every service's messaging tables went through, as each service's migrations apply them to its schema.

Each pair of functions is one released change, written out in full rather than derived from the live tables in
`messaging.py`, so that an old migration keeps meaning what it meant when it ran: a later change is a new pair,
never an edit of one.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

DEAD_LETTER_RESOLUTION_COLUMNS = {
    "resolution": "text",
    "resolved_by": "text",
    "resolved_at": "timestamptz",
    "resolution_note": "text",
}


def add_order_traces(schema: str) -> None:
    """Each order's trace context, kept so that a step a person or a watchdog takes on the order joins its trace;
    and the version of the order each outbox row is about, which the relay's publish span names."""
    op.create_table(
        "order_traces",
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("traceparent", sa.Text, nullable=False),
        sa.Column("tracestate", sa.Text),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=schema,
    )
    # A schema whose first migration ran with the column in the shared outbox definition has it already.
    op.execute(f"ALTER TABLE {schema}.outbox ADD COLUMN IF NOT EXISTS order_version integer")


def drop_order_traces(schema: str) -> None:
    op.drop_column("outbox", "order_version", schema=schema)
    op.drop_table("order_traces", schema=schema)


def add_dead_letter_resolutions(schema: str) -> None:
    """Who replayed or discarded each dead letter, when and why, on the dead letter itself."""
    # IF NOT EXISTS: a schema made since by the first migration's messaging tables has the columns already.
    for name, kind in DEAD_LETTER_RESOLUTION_COLUMNS.items():
        op.execute(f"ALTER TABLE {schema}.dead_letters ADD COLUMN IF NOT EXISTS {name} {kind}")


def drop_dead_letter_resolutions(schema: str) -> None:
    for name in DEAD_LETTER_RESOLUTION_COLUMNS:
        op.execute(f"ALTER TABLE {schema}.dead_letters DROP COLUMN IF EXISTS {name}")


# The dead letters' unique key as the first migration named it (PostgreSQL's default name), and as it is since.
_RECORD_KEY_BEFORE_REPLAYS = "dead_letters_consumer_topic_partition_offset_key"
_RECORD_KEY = "dead_letters_record_key"


def add_dead_letters_of_replays(schema: str) -> None:
    """A replayed record that fails again is dead-lettered under its own topic, read from its service's replay
    topic: the dead letter names that replay topic too, and one record read is kept once wherever it was read."""
    # IF [NOT] EXISTS: a schema made since by the first migration's messaging tables has the column and key already.
    op.execute(f"ALTER TABLE {schema}.dead_letters ADD COLUMN IF NOT EXISTS replay_topic text")
    op.execute(f"ALTER TABLE {schema}.dead_letters DROP CONSTRAINT IF EXISTS {_RECORD_KEY_BEFORE_REPLAYS}")
    op.execute(f"ALTER TABLE {schema}.dead_letters DROP CONSTRAINT IF EXISTS {_RECORD_KEY}")
    op.execute(
        f"ALTER TABLE {schema}.dead_letters ADD CONSTRAINT {_RECORD_KEY}"
        ' UNIQUE NULLS NOT DISTINCT (consumer, topic, replay_topic, partition, "offset")'
    )


def drop_dead_letters_of_replays(schema: str) -> None:
    # The old key cannot tell a replay's dead letter from the record read at the same place of its topic.
    op.execute(f"DELETE FROM {schema}.dead_letters WHERE replay_topic IS NOT NULL")
    op.execute(f"ALTER TABLE {schema}.dead_letters DROP CONSTRAINT IF EXISTS {_RECORD_KEY}")
    op.execute(f"ALTER TABLE {schema}.dead_letters DROP COLUMN IF EXISTS replay_topic")
    op.execute(
        f"ALTER TABLE {schema}.dead_letters ADD CONSTRAINT {_RECORD_KEY_BEFORE_REPLAYS}"
        ' UNIQUE (consumer, topic, partition, "offset")'
    )


def add_hub_tables(schema: str) -> None:
    """TMF hub listeners (their callback, query filter, secret, registrant and what the registrant may see) and the
    notifications fanned out to them, each delivered at least once, in order, or dead-lettered with the reason."""
    op.create_table(
        "hub_subscriptions",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("callback", sa.Text, nullable=False),
        sa.Column("query", sa.Text),
        sa.Column("filter", JSONB, nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("registrant", sa.Text, nullable=False),
        sa.Column("audience", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=schema,
    )
    op.create_table(
        "hub_notifications",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "subscription_id",
            sa.Text,
            sa.ForeignKey(f"{schema}.hub_subscriptions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("dead_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        sa.UniqueConstraint("subscription_id", "event_id", name="hub_notifications_once_per_subscription"),
        schema=schema,
    )
    op.create_index(
        "hub_notifications_pending",
        "hub_notifications",
        ["subscription_id", "id"],
        schema=schema,
        postgresql_where=sa.text("delivered_at IS NULL AND dead_at IS NULL"),
    )
    op.create_index(
        "hub_notifications_dead",
        "hub_notifications",
        ["dead_at"],
        schema=schema,
        postgresql_where=sa.text("dead_at IS NOT NULL"),
    )


def drop_hub_tables(schema: str) -> None:
    op.drop_table("hub_notifications", schema=schema)
    op.drop_table("hub_subscriptions", schema=schema)
