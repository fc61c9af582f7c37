"""TMF645 hub listeners and the notifications fanned out to them.

Revision ID: 0010
Revises: 0009
"""

from orderdesk_shared.schema_steps import add_hub_tables, drop_hub_tables

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SCHEMA = "serviceability"


def upgrade() -> None:
    add_hub_tables(SCHEMA)


def downgrade() -> None:
    drop_hub_tables(SCHEMA)
