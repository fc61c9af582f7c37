"""The service requests the desk opened on orders for other departments (intake's orders.service-requests), each
as its latest change left it, the open ones indexed by due time for the work queue.

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
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("department", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        schema="console",
    )
    op.create_index(
        op.f("ix_console_service_requests_order_id"), "service_requests", ["order_id"], unique=False, schema="console"
    )
    op.create_index(
        "service_requests_open_by_due_time",
        "service_requests",
        ["due_at"],
        unique=False,
        schema="console",
        postgresql_where=sa.text("status IN ('open', 'in_progress')"),
    )


def downgrade() -> None:
    op.drop_index(
        "service_requests_open_by_due_time",
        table_name="service_requests",
        schema="console",
        postgresql_where=sa.text("status IN ('open', 'in_progress')"),
    )
    op.drop_index(op.f("ix_console_service_requests_order_id"), table_name="service_requests", schema="console")
    op.drop_table("service_requests", schema="console")
