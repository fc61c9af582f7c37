"""Who submitted each ratified order: with its reps and the rep who raised a dispute, who may not decide that dispute
(four eyes). Orders ratified before have none recorded.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SCHEMA = "commission"


def upgrade() -> None:
    op.add_column("ratifications", sa.Column("submitted_by", sa.Text), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("ratifications", "submitted_by", schema=SCHEMA)
