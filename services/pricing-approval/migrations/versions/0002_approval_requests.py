"""Quotes keep the order, its sites and any rejection; approval requests and their decisions.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SCHEMA = "pricing_approval"


def upgrade() -> None:
    op.alter_column("quotes", "pricing", nullable=True, schema=SCHEMA)
    op.add_column("quotes", sa.Column("order", JSONB), schema=SCHEMA)
    op.add_column("quotes", sa.Column("sites", JSONB), schema=SCHEMA)
    op.add_column("quotes", sa.Column("rejection", JSONB), schema=SCHEMA)
    op.add_column("quotes", sa.Column("decided_at", sa.DateTime(timezone=True)), schema=SCHEMA)
    op.create_table(
        "approval_requests",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("order_id", sa.Text, nullable=False),
        sa.Column("order_version", sa.Integer, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("explanation", sa.Text, nullable=False),
        sa.Column("reasons", JSONB, nullable=False),
        sa.Column("sla_business_days", sa.Integer, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("decided_by", sa.Text),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("comment", sa.Text),
        sa.Column("carried_from", sa.Text),
        sa.Column("jeopardy_raised_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("order_id", "order_version", "role"),
        schema=SCHEMA,
    )
    op.create_index(
        "approval_requests_pending_by_due",
        "approval_requests",
        ["due_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "approval_decisions",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("request_id", sa.Text, nullable=False),
        sa.Column("order_id", sa.Text, nullable=False, index=True),
        sa.Column("order_version", sa.Integer, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("decision", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("approval_decisions", schema=SCHEMA)
    op.drop_table("approval_requests", schema=SCHEMA)
    for column in ("decided_at", "rejection", "sites", "order"):
        op.drop_column("quotes", column, schema=SCHEMA)
    op.alter_column("quotes", "pricing", nullable=False, schema=SCHEMA)
