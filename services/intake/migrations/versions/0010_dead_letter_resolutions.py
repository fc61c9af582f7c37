"""An SRE replays or discards a dead letter: who did which, when and why, on the dead letter itself.

Revision ID: 0010
Revises: 0009
"""

from orderdesk_shared.schema_steps import add_dead_letter_resolutions, drop_dead_letter_resolutions

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SCHEMA = "intake"


def upgrade() -> None:
    add_dead_letter_resolutions(SCHEMA)


def downgrade() -> None:
    drop_dead_letter_resolutions(SCHEMA)
