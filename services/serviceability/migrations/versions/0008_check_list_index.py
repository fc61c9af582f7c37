"""TMF645 checks are listed newest first (GET checkServiceQualification): index them in that order.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SCHEMA = "serviceability"


def upgrade() -> None:
    op.execute(
        f"CREATE INDEX service_qualification_checks_newest ON {SCHEMA}.service_qualification_checks"
        " (created_at DESC, id)"
    )


def downgrade() -> None:
    op.execute(f"DROP INDEX {SCHEMA}.service_qualification_checks_newest")
