"""TMF622 hub listeners and the notifications fanned out to them.

Revision ID: 0012
Revises: 0011
"""

from orderdesk_shared.schema_steps import add_hub_tables, drop_hub_tables

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

SCHEMA = "intake"


def upgrade() -> None:
    add_hub_tables(SCHEMA)


def downgrade() -> None:
    drop_hub_tables(SCHEMA)
