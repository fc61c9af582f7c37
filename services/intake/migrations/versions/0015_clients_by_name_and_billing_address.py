"""Clients by legal name and billing address: a new client's check against a namesake at its billing address (a
mistyped tax id?) reads those rows only, not every client of the name.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "clients_name_billing_address",
        "clients",
        ["name_key", sa.literal_column("(addresses -> 0)")],
        unique=False,
        schema="intake",
    )


def downgrade() -> None:
    op.drop_index("clients_name_billing_address", table_name="clients", schema="intake")
