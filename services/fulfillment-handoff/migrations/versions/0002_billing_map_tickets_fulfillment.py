"""The billing-code map (seeded from reference/billing_codes.v1.csv), catalogue tickets, held orders and
what Operations reports.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from fulfillment_handoff.reference import MARKETS_FILE, load_markets, load_seed_billing_codes

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SCHEMA = "fulfillment"


def upgrade() -> None:
    op.alter_column("handoffs", "handed_off_at", nullable=True, server_default=None, schema=SCHEMA)
    for column in (
        sa.Column("state", sa.Text, nullable=False, server_default="handed-off"),
        sa.Column("engineering_notes", JSONB, nullable=False, server_default="[]"),
        sa.Column("billing_date", sa.Date, nullable=False, server_default=sa.func.current_date()),
        sa.Column("findings", JSONB, nullable=False, server_default="[]"),
        sa.Column("approved", JSONB),
        sa.Column("held_at", sa.DateTime(timezone=True)),
        sa.Column("ops_status", sa.Text),
        sa.Column("scheduled_for", sa.Date),
        sa.Column("installed_on", sa.Date),
        sa.Column("failure_reason", sa.Text),
        sa.Column("ops_updated_at", sa.DateTime(timezone=True)),
    ):
        op.add_column("handoffs", column, schema=SCHEMA)
    for name in ("state", "engineering_notes", "billing_date", "findings"):
        op.alter_column("handoffs", name, server_default=None, schema=SCHEMA)

    op.create_table(
        "ops_reports",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("order_id", sa.Text, nullable=False),
        sa.Column("order_version", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("effective_date", sa.Date),
        sa.Column("reason", sa.Text),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    billing_codes = op.create_table(
        "billing_codes",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("price_component", sa.Text, nullable=False),
        sa.Column("billing_system", sa.Text, nullable=False),
        sa.Column("market", sa.Text, nullable=False),
        sa.Column("billing_code", sa.Text, nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("effective_to", sa.Date),
        sa.Column("added_by", sa.Text, nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("price_component", "billing_system", "market", "effective_from"),
        schema=SCHEMA,
    )
    op.create_table(
        "catalogue_tickets",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("price_component", sa.Text, nullable=False),
        sa.Column("billing_system", sa.Text, nullable=False),
        sa.Column("market", sa.Text, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    op.create_index(
        "catalogue_tickets_one_open_per_code",
        "catalogue_tickets",
        ["price_component", "billing_system", "market"],
        unique=True,
        postgresql_where=sa.text("resolved_at IS NULL"),
        schema=SCHEMA,
    )
    op.create_table(
        "ticket_orders",
        sa.Column("ticket_id", sa.BigInteger, sa.ForeignKey(f"{SCHEMA}.catalogue_tickets.id"), primary_key=True),
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("released_at", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    # The seed map as it stood when this schema was made; later changes come through the API.
    op.bulk_insert(
        billing_codes,
        [
            {
                "price_component": code.key.price_component,
                "billing_system": code.key.billing_system,
                "market": code.key.market,
                "billing_code": code.billing_code,
                "effective_from": code.effective_from,
                "effective_to": code.effective_to,
                "added_by": "seed billing_codes.v1.csv",
            }
            for code in load_seed_billing_codes(load_markets(MARKETS_FILE))
        ],
    )


def downgrade() -> None:
    for table in ("ticket_orders", "catalogue_tickets", "billing_codes", "ops_reports"):
        op.drop_table(table, schema=SCHEMA)
    for column in (
        "state",
        "engineering_notes",
        "billing_date",
        "findings",
        "approved",
        "held_at",
        "ops_status",
        "scheduled_for",
        "installed_on",
        "failure_reason",
        "ops_updated_at",
    ):
        op.drop_column("handoffs", column, schema=SCHEMA)
    op.alter_column("handoffs", "handed_off_at", nullable=False, server_default=sa.func.now(), schema=SCHEMA)
