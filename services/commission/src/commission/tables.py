"""Commission's tables, in the `commission` schema."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from orderdesk_shared.messaging import service_metadata

metadata, messaging = service_metadata("commission")

ratifications = sa.Table(
    "ratifications",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("order_version", sa.Integer, nullable=False),
    sa.Column("eligible", sa.Boolean, nullable=False),
    sa.Column("commissionable_mrr", sa.Numeric(14, 2), nullable=False),
    sa.Column("commission_total", sa.Numeric(14, 2), nullable=False),
    sa.Column("reps", JSONB, nullable=False),
    sa.Column("ratified_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)
