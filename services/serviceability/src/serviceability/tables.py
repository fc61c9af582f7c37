"""Serviceability's tables, in the `serviceability` schema."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from orderdesk_shared.messaging import service_metadata

metadata, messaging = service_metadata("serviceability")

qualifications = sa.Table(
    "qualifications",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("order_version", sa.Integer, nullable=False),
    sa.Column("result", sa.Text, nullable=False),
    sa.Column("sites", JSONB, nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)
