"""An SRE replays or discards a dead letter: who did which, when and why, on the dead letter itself.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SCHEMA = "pricing_approval"


RESOLUTION_COLUMNS = ("resolution", "resolved_by", "resolved_at", "resolution_note")


def upgrade() -> None:
    op.add_column("dead_letters", sa.Column("resolution", sa.Text), schema=SCHEMA)
    op.add_column("dead_letters", sa.Column("resolved_by", sa.Text), schema=SCHEMA)
    op.add_column("dead_letters", sa.Column("resolved_at", sa.DateTime(timezone=True)), schema=SCHEMA)
    op.add_column("dead_letters", sa.Column("resolution_note", sa.Text), schema=SCHEMA)


def downgrade() -> None:
    for name in RESOLUTION_COLUMNS:
        op.drop_column("dead_letters", name, schema=SCHEMA)
