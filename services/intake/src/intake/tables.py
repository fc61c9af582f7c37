"""Intake's tables, in the `intake` schema."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from orderdesk_shared.messaging import service_metadata
from orderdesk_shared.reference import reference_versions_table

metadata, messaging = service_metadata("intake")

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("external_id", sa.Text),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("order_type", sa.Text, nullable=False),
    sa.Column("account_id", sa.Text),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("stage", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("idempotency_key", sa.Text, unique=True),
    sa.Column("order_document", JSONB, nullable=False),
    # The submission as the channel sent it (TMF622 for the API), which PATCH merges into.
    sa.Column("request_document", JSONB),
    sa.Column("findings", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

order_revisions = sa.Table(
    "order_revisions",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("order_id", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("findings", JSONB, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("order_revisions_order_id", "order_id"),
)

# One row per channel submission: its source id (opportunity id + version, Message-ID, call id)
# makes a resend point to the order the first one created.
submissions = sa.Table(
    "submissions",
    metadata,
    sa.Column("source_id", sa.Text, primary_key=True),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("order_id", sa.Text, nullable=False),
    # What the channel sent (the email as received, the CRM or IVR document as read), so nothing is lost;
    # bytes, because an email may hold any byte, NUL included, which text columns refuse.
    sa.Column("document", sa.LargeBinary, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

# Each version of the catalogue (pricing-approval) and the rep roster (commission) announced.
reference_versions = reference_versions_table(metadata)
