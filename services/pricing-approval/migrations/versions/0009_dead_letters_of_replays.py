"""A replayed record that fails again is dead-lettered under its own topic, read from its service's replay topic:
the dead letter names that replay topic too, and one record read is kept once wherever it was read.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SCHEMA = "pricing_approval"
# As the first migration names it (PostgreSQL's default name), and as messaging.py names it now.
OLD_KEY = "dead_letters_consumer_topic_partition_offset_key"
NEW_KEY = "dead_letters_record_key"


def upgrade() -> None:
    # IF [NOT] EXISTS: a schema made since by the first migration's messaging tables has the column and key already.
    op.execute(f"ALTER TABLE {SCHEMA}.dead_letters ADD COLUMN IF NOT EXISTS replay_topic text")
    op.execute(f"ALTER TABLE {SCHEMA}.dead_letters DROP CONSTRAINT IF EXISTS {OLD_KEY}")
    op.execute(f"ALTER TABLE {SCHEMA}.dead_letters DROP CONSTRAINT IF EXISTS {NEW_KEY}")
    op.execute(
        f"ALTER TABLE {SCHEMA}.dead_letters ADD CONSTRAINT {NEW_KEY}"
        ' UNIQUE NULLS NOT DISTINCT (consumer, topic, replay_topic, partition, "offset")'
    )


def downgrade() -> None:
    # The old key cannot tell a replay's dead letter from the record read at the same place of its topic.
    op.execute(f"DELETE FROM {SCHEMA}.dead_letters WHERE replay_topic IS NOT NULL")
    op.execute(f"ALTER TABLE {SCHEMA}.dead_letters DROP CONSTRAINT IF EXISTS {NEW_KEY}")
    op.execute(f"ALTER TABLE {SCHEMA}.dead_letters DROP COLUMN IF EXISTS replay_topic")
    op.execute(
        f'ALTER TABLE {SCHEMA}.dead_letters ADD CONSTRAINT {OLD_KEY} UNIQUE (consumer, topic, partition, "offset")'
    )
