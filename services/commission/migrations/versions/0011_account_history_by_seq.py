"""An account's offering indexed in recording order: the sales since its last disconnect are read as the end of a
range, not by reading every earlier order of the offering (which a busy account has hundreds of).

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

SCHEMA = "commission"


def upgrade() -> None:
    op.create_index(
        "order_offerings_by_account_seq", "order_offerings", ["account_key", "offering_id", "seq"], schema=SCHEMA
    )
    op.drop_index("order_offerings_by_account", table_name="order_offerings", schema=SCHEMA)


def downgrade() -> None:
    op.create_index("order_offerings_by_account", "order_offerings", ["account_key", "offering_id"], schema=SCHEMA)
    op.drop_index("order_offerings_by_account_seq", table_name="order_offerings", schema=SCHEMA)
