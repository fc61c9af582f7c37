"""Forget which catalogue versions were announced, so the catalogue in force is announced once more at the next start.

catalogue.published was made a compacted topic, which keeps its latest record for good; an announcement made while it
still expired its records may be gone from it, and a service that starts reading it now would never hear the
catalogue in force. Hearing a version again changes nothing for a service that had heard it.

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

SCHEMA = "pricing_approval"


def upgrade() -> None:
    op.execute(f"DELETE FROM {SCHEMA}.published_catalogues")


def downgrade() -> None:
    """Nothing to undo: the next start records the announcement again."""
