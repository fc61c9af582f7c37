"""The console's copy of the rep roster, its mail outbox, and who asked for no status mail.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

SCHEMA = "console"


def upgrade() -> None:
    op.create_table(
        "reps",
        sa.Column("rep_id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("team", sa.Text, nullable=False),
        sa.Column("manager_id", sa.Text),
        sa.Column("active_from", sa.Date, nullable=False),
        sa.Column("active_to", sa.Date),
        schema=SCHEMA,
    )
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("dedupe_key", sa.Text, nullable=False, unique=True),
        sa.Column("recipients", ARRAY(sa.Text), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("attachments", JSONB, nullable=False, server_default="[]"),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        schema=SCHEMA,
    )
    op.create_index(
        "mail_outbox_unsent",
        "mail_outbox",
        ["next_attempt_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.create_table(
        "notification_preferences",
        sa.Column("email", sa.Text, primary_key=True),
        sa.Column("status_mail", sa.Boolean, nullable=False),
        sa.Column("changed_by", sa.Text, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("notification_preferences", schema=SCHEMA)
    op.drop_table("mail_outbox", schema=SCHEMA)
    op.drop_table("reps", schema=SCHEMA)
