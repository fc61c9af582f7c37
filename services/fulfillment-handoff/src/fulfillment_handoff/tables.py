"""Fulfillment-handoff's tables, in the `fulfillment` schema."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from orderdesk_shared.messaging import service_metadata
from orderdesk_shared.order_versions import order_versions_table
from orderdesk_shared.table_columns import order_version_columns, written_at

metadata, messaging = service_metadata("fulfillment")

# One row per order. Its latest approved version: held for billing codes, handed off, superseded by a
# correction while held, or cancelled; and the version Operations has, followed through its reports.
handoffs = sa.Table(
    "handoffs",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("order_version", sa.Integer, nullable=False),
    sa.Column("state", sa.Text, nullable=False),  # held | handed-off | superseded | cancelled
    sa.Column("processing_path", sa.Text, nullable=False),
    sa.Column("billing_lines", JSONB, nullable=False),
    sa.Column("engineering_notes", JSONB, nullable=False),
    sa.Column("billing_date", sa.Date, nullable=False),
    sa.Column("findings", JSONB, nullable=False),  # why it is held
    sa.Column("approved", JSONB),  # the approved order, kept while it is held, to hand off on release
    sa.Column("held_at", sa.DateTime(timezone=True)),
    # What Operations has: the version handed off to it (a held correction does not replace it), its items,
    # and what Operations reported about them.
    sa.Column("handed_off_version", sa.Integer),
    sa.Column("handed_off_at", sa.DateTime(timezone=True)),
    sa.Column("item_ids", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("ops_status", sa.Text),
    sa.Column("scheduled_for", sa.Date),
    sa.Column("installed_on", sa.Date),
    sa.Column("failure_reason", sa.Text),
    sa.Column("item_outcomes", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("ops_updated_at", sa.DateTime(timezone=True)),
    # When Operations was asked to stop the work (HandOffCancelled), once.
    sa.Column("cancel_sent_at", sa.DateTime(timezone=True)),
    # Who the order belongs to, for per-order access (orderdesk_shared.access): its submitter and named reps.
    sa.Column("submitted_by", sa.Text),
    sa.Column("sales_reps", ARRAY(sa.Text), nullable=False, server_default="{}"),
)

# The corrections and cancels intake announced, so late work on a dead version is refused.
order_versions = order_versions_table(metadata)

# Every report from Operations, with what it did (applied, or why it changed nothing).
ops_reports = sa.Table(
    "ops_reports",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    *order_version_columns(),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("effective_date", sa.Date),
    sa.Column("reason", sa.Text),
    sa.Column("item_ids", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("reported_by", sa.Text),  # who in Operations, when reported through the API
    sa.Column("outcome", sa.Text, nullable=False),
    written_at("received_at"),
)

billing_codes = sa.Table(
    "billing_codes",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("price_component", sa.Text, nullable=False),
    sa.Column("billing_system", sa.Text, nullable=False),
    sa.Column("market", sa.Text, nullable=False),
    sa.Column("billing_code", sa.Text, nullable=False),
    sa.Column("effective_from", sa.Date, nullable=False),
    sa.Column("effective_to", sa.Date),
    sa.Column("added_by", sa.Text, nullable=False),
    written_at("added_at"),
    sa.UniqueConstraint("price_component", "billing_system", "market", "effective_from"),
)

# A missing (price component, billing system, market): opened by the first order held for it,
# resolved when no order waits on it any more.
catalogue_tickets = sa.Table(
    "catalogue_tickets",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("price_component", sa.Text, nullable=False),
    sa.Column("billing_system", sa.Text, nullable=False),
    sa.Column("market", sa.Text, nullable=False),
    written_at("opened_at"),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    sa.Index(
        "catalogue_tickets_one_open_per_code",
        "price_component",
        "billing_system",
        "market",
        unique=True,
        postgresql_where=sa.text("resolved_at IS NULL"),
    ),
)

ticket_orders = sa.Table(
    "ticket_orders",
    metadata,
    sa.Column("ticket_id", sa.BigInteger, sa.ForeignKey(catalogue_tickets.c.id), primary_key=True),
    sa.Column("order_id", sa.Text, primary_key=True),
    written_at("waiting_since"),
    sa.Column("released_at", sa.DateTime(timezone=True)),
)
