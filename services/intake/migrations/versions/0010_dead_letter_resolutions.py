"""An SRE replays or discards a dead letter: who did which, when and why, on the dead letter itself.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SCHEMA = "intake"
# IF NOT EXISTS: a schema made since by the first migration's messaging tables has the columns already.
COLUMNS = {"resolution": "text", "resolved_by": "text", "resolved_at": "timestamptz", "resolution_note": "text"}


def upgrade() -> None:
    for name, kind in COLUMNS.items():
        op.execute(f"ALTER TABLE {SCHEMA}.dead_letters ADD COLUMN IF NOT EXISTS {name} {kind}")


def downgrade() -> None:
    for name in COLUMNS:
        op.execute(f"ALTER TABLE {SCHEMA}.dead_letters DROP COLUMN IF EXISTS {name}")
