"""Keep each CancelProductOrder request as it was sent, so what OrderDesk does not read (its @type, @baseType,
@schemaLocation, a client's extensions) reads back with it.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

SCHEMA = "intake"


def upgrade() -> None:
    op.add_column("cancel_requests", sa.Column("document", JSONB), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("cancel_requests", "document", schema=SCHEMA)
