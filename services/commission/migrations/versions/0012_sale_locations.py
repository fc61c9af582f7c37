"""The eligible sales by account, offering, order type and location: the duplicate check reads only the sales at an
order's locations (an index range), not every sale of a busy account's offering in the window. Filled from the order
offerings kept so far.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

SCHEMA = "commission"


def upgrade() -> None:
    op.create_table(
        "sale_locations",
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("offering_id", sa.Text, primary_key=True),
        sa.Column("location_key", sa.Text, primary_key=True),
        sa.Column("account_key", sa.Text, nullable=False),
        sa.Column("order_type", sa.Text, nullable=False),
        sa.Column("order_date", sa.Date, nullable=False),
        schema=SCHEMA,
    )
    op.execute(
        f"INSERT INTO {SCHEMA}.sale_locations (order_id, offering_id, location_key, account_key, order_type,"
        " order_date) SELECT DISTINCT order_id, offering_id, unnest(location_keys), account_key, order_type, order_date"
        f" FROM {SCHEMA}.order_offerings WHERE eligible"
    )
    op.create_index(
        "sale_locations_by_place",
        "sale_locations",
        ["account_key", "offering_id", "order_type", "location_key", "order_date"],
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("sale_locations", schema=SCHEMA)
