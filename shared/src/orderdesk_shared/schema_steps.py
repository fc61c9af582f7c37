"""Changes every service's messaging tables went through, as each service's migrations apply them to its schema.

Each pair of functions is one released change, written out in full rather than derived from the live tables in
`messaging.py`, so that an old migration keeps meaning what it meant when it ran: a later change is a new pair,
never an edit of one.
"""

import sqlalchemy as sa
from alembic import op

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
