"""TMF622 hub listeners and the notifications fanned out to them.

Revision ID: 0013
Revises: 0012
"""

from orderdesk_shared.schema_steps import add_hub_tables, drop_hub_tables

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

SCHEMA = "intake"


def upgrade() -> None:
    add_hub_tables(SCHEMA)


def downgrade() -> None:
    drop_hub_tables(SCHEMA)
