"""Service requests: the tickets the desk opens on orders for other departments, each as it stands, the open ones
indexed by due time for the lists across orders.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_requests",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("order_id", sa.Text(), nullable=False),
        sa.Column("order_version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("department", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("opened_by", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.Text(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        schema="intake",
    )
    op.create_index(
        op.f("ix_intake_service_requests_order_id"), "service_requests", ["order_id"], unique=False, schema="intake"
    )
    op.create_index(
        "service_requests_open_by_due_time",
        "service_requests",
        ["due_at"],
        unique=False,
        schema="intake",
        postgresql_where=sa.text("status IN ('open', 'in_progress')"),
    )


def downgrade() -> None:
    op.drop_index(
        "service_requests_open_by_due_time",
        table_name="service_requests",
        schema="intake",
        postgresql_where=sa.text("status IN ('open', 'in_progress')"),
    )
    op.drop_index(op.f("ix_intake_service_requests_order_id"), table_name="service_requests", schema="intake")
    op.drop_table("service_requests", schema="intake")
