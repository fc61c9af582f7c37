"""Fulfillment-handoff's tables, in the `fulfillment` schema."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from orderdesk_shared.messaging import service_metadata

metadata, messaging = service_metadata("fulfillment")

handoffs = sa.Table(
    "handoffs",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("order_version", sa.Integer, nullable=False),
    sa.Column("processing_path", sa.Text, nullable=False),
    sa.Column("billing_lines", JSONB, nullable=False),
    sa.Column("handed_off_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)
