"""Each report schedule's runs so far (the latest queued, and when the console first checked the schedule): what
tells the report schedule watch which runs are due after a restart.

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
    op.create_table(
        "report_schedules",
        sa.Column("schedule", sa.Text, primary_key=True),
        sa.Column("first_checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_due_at", sa.DateTime(timezone=True)),
        sa.Column("last_queued_at", sa.DateTime(timezone=True)),
        schema="console",
    )


def downgrade() -> None:
    op.drop_table("report_schedules", schema="console")
