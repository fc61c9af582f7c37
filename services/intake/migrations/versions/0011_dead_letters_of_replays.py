"""A replayed record that fails again is dead-lettered under its own topic, read from its service's replay topic:
the dead letter names that replay topic too, and one record read is kept once wherever it was read.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

SCHEMA = "intake"


# The dead letters' unique key as the first migration named it, and as it is since.
RECORD_KEY_BEFORE_REPLAYS = "dead_letters_consumer_topic_partition_offset_key"
RECORD_KEY = "dead_letters_record_key"


def upgrade() -> None:
    op.add_column("dead_letters", sa.Column("replay_topic", sa.Text), schema=SCHEMA)
    op.drop_constraint(RECORD_KEY_BEFORE_REPLAYS, "dead_letters", schema=SCHEMA)
    op.create_unique_constraint(
        RECORD_KEY,
        "dead_letters",
        ["consumer", "topic", "replay_topic", "partition", "offset"],
        schema=SCHEMA,
        postgresql_nulls_not_distinct=True,
    )


def downgrade() -> None:
    # The old key cannot tell a replay's dead letter from the record read at the same place of its topic.
    op.execute(f"DELETE FROM {SCHEMA}.dead_letters WHERE replay_topic IS NOT NULL")
    op.drop_constraint(RECORD_KEY, "dead_letters", schema=SCHEMA)
    op.drop_column("dead_letters", "replay_topic", schema=SCHEMA)
    op.create_unique_constraint(
        RECORD_KEY_BEFORE_REPLAYS, "dead_letters", ["consumer", "topic", "partition", "offset"], schema=SCHEMA
    )
