"""The full ratification, the account's MRC per offering, order progress, the ledger and disputes.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SCHEMA = "commission"
MONEY = sa.Numeric(14, 2)


def upgrade() -> None:
    # Ratifications of the walking skeleton keep their amounts; what they did not record reads as unknown.
    for column in (
        sa.Column("order_type", sa.Text, nullable=False, server_default="new"),
        sa.Column("account_key", sa.Text, nullable=False, server_default=""),
        sa.Column("order_date", sa.Date, nullable=False, server_default=sa.func.current_date()),
        sa.Column("reasons", JSONB, nullable=False, server_default="[]"),
        sa.Column("explanation", JSONB, nullable=False, server_default="[]"),
        sa.Column("multiplier", sa.Numeric(6, 3), nullable=False, server_default="1"),
        sa.Column("basis_mrc", MONEY, nullable=False, server_default="0"),
        sa.Column("billed_mrc", MONEY, nullable=False, server_default="0"),
    ):
        op.add_column("ratifications", column, schema=SCHEMA)
        op.alter_column("ratifications", column.name, server_default=None, schema=SCHEMA)
    op.create_table(
        "order_offerings",
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("offering_id", sa.Text, primary_key=True),
        sa.Column("seq", sa.BigInteger, sa.Identity(), nullable=False, unique=True),
        sa.Column("order_version", sa.Integer, nullable=False),
        sa.Column("account_key", sa.Text, nullable=False),
        sa.Column("order_type", sa.Text, nullable=False),
        sa.Column("order_date", sa.Date, nullable=False),
        sa.Column("eligible", sa.Boolean, nullable=False),
        sa.Column("location_keys", ARRAY(sa.Text), nullable=False),
        sa.Column("previous_mrc", MONEY),
        sa.Column("mrc_after", MONEY, nullable=False),
        sa.Column("incremental_mrr", MONEY, nullable=False),
        schema=SCHEMA,
    )
    op.create_index("order_offerings_by_account", "order_offerings", ["account_key", "offering_id"], schema=SCHEMA)
    op.create_table(
        "order_progress",
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("installed_on", sa.Date),
        sa.Column("cancelled_on", sa.Date),
        sa.Column("failure", sa.Text),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("entry_key", sa.Text, nullable=False, unique=True),
        sa.Column("rep_id", sa.Text, nullable=False),
        sa.Column("order_id", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("accrued_change", MONEY, nullable=False),
        sa.Column("payable_change", MONEY, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("effective_on", sa.Date, nullable=False),
        sa.Column("dispute_id", sa.Text),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_index("ledger_entries_by_rep", "ledger_entries", ["rep_id", "effective_on"], schema=SCHEMA)
    op.create_index("ledger_entries_by_order", "ledger_entries", ["order_id"], schema=SCHEMA)
    op.create_table(
        "disputes",
        sa.Column("dispute_id", sa.Text, primary_key=True),
        sa.Column("order_id", sa.Text, nullable=False),
        sa.Column("rep_id", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("claim", sa.Text, nullable=False),
        sa.Column("opened_on", sa.Date, nullable=False),
        sa.Column("decided_by", sa.Text),
        sa.Column("decided_on", sa.Date),
        sa.Column("decision", sa.Text),
        sa.Column("adjustment", MONEY),
        schema=SCHEMA,
    )
    op.create_index("ix_commission_disputes_order_id", "disputes", ["order_id"], schema=SCHEMA)
    op.create_table(
        "dispute_history",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("dispute_id", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("adjustment", MONEY),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_index("ix_commission_dispute_history_dispute_id", "dispute_history", ["dispute_id"], schema=SCHEMA)


def downgrade() -> None:
    for table in ("dispute_history", "disputes", "ledger_entries", "order_progress", "order_offerings"):
        op.drop_table(table, schema=SCHEMA)
    for column in (
        "order_type", "account_key", "order_date", "reasons", "explanation", "multiplier", "basis_mrc", "billed_mrc",
    ):  # fmt: skip
        op.drop_column("ratifications", column, schema=SCHEMA)
