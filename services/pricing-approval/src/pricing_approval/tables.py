"""Pricing-approval's tables, in the `pricing_approval` schema."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from orderdesk_shared.messaging import service_metadata

metadata, messaging = service_metadata("pricing_approval")

quotes = sa.Table(
    "quotes",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("order_version", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("pricing", JSONB, nullable=False),
    sa.Column("required_approvals", JSONB, nullable=False),
    sa.Column("priced_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)
