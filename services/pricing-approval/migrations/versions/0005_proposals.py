"""The proposal of each order and where it stands with the customer: sent, accepted, declined or expired.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SCHEMA = "pricing_approval"


def upgrade() -> None:
    op.create_table(
        "proposals",
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("order_version", sa.Integer, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("signature_required", sa.Boolean, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("sent_by", sa.Text),
        sa.Column("expires_on", sa.Date),
        sa.Column("signed_by", sa.Text),
        sa.Column("signed_on", sa.Date),
        sa.Column("declined_reason", sa.Text),
        sa.Column("decided_by", sa.Text),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    op.create_index(
        "proposals_sent_by_expiry",
        "proposals",
        ["expires_on"],
        schema=SCHEMA,
        postgresql_where=sa.text("state = 'sent'"),
    )


def downgrade() -> None:
    op.drop_table("proposals", schema=SCHEMA)
