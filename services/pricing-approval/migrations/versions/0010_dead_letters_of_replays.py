"""A replayed record that fails again is dead-lettered under its own topic, read from its service's replay topic:
the dead letter names that replay topic too, and one record read is kept once wherever it was read.

Revision ID: 0010
Revises: 0009
"""

from orderdesk_shared.schema_steps import add_dead_letters_of_replays, drop_dead_letters_of_replays

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SCHEMA = "pricing_approval"


def upgrade() -> None:
    add_dead_letters_of_replays(SCHEMA)


def downgrade() -> None:
    drop_dead_letters_of_replays(SCHEMA)
