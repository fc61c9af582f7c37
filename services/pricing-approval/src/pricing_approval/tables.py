"""Pricing-approval's tables, in the `pricing_approval` schema."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from orderdesk_shared.messaging import service_metadata
from orderdesk_shared.order_correctors import order_correctors_table
from orderdesk_shared.order_versions import order_versions_table
from orderdesk_shared.table_columns import order_version_columns, written_at

metadata, messaging = service_metadata("pricing_approval")

# The latest priced version of each order. Quotes made before 0002 have no order, sites or pricing kept.
quotes = sa.Table(
    "quotes",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("order_version", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("pricing", JSONB),
    sa.Column("required_approvals", JSONB, nullable=False),
    written_at("priced_at"),
    sa.Column("order", JSONB),
    sa.Column("sites", JSONB),
    # The finding that rejected this version: a pricing error, the capital policy or an approver's denial.
    sa.Column("rejection", JSONB),
    sa.Column("decided_at", sa.DateTime(timezone=True)),
)

approval_requests = sa.Table(
    "approval_requests",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    *order_version_columns(),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("explanation", sa.Text, nullable=False),
    # Each reason's trigger, explanation and input figures: what a revised order is compared on.
    sa.Column("reasons", JSONB, nullable=False),
    sa.Column("sla_business_days", sa.Integer, nullable=False),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("decided_by", sa.Text),
    sa.Column("decided_at", sa.DateTime(timezone=True)),
    sa.Column("comment", sa.Text),
    # The grant on an earlier version this one carries, when the revision left its inputs unchanged.
    sa.Column("carried_from", sa.Text),
    sa.Column("jeopardy_raised_at", sa.DateTime(timezone=True)),
    # Why a withdrawn request is no longer asked: the order was cancelled or corrected, or another approver denied it.
    sa.Column("withdrawn_because", sa.Text),
    sa.UniqueConstraint("order_id", "order_version", "role"),
    sa.Index("approval_requests_pending_by_due", "due_at", postgresql_where=sa.text("status = 'pending'")),
)

approval_decisions = sa.Table(
    "approval_decisions",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("request_id", sa.Text, nullable=False),
    *order_version_columns(order_indexed=True),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("decision", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("comment", sa.Text),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
)

# Each catalogue version announced on catalogue.published, so a restart does not announce it again.
published_catalogues = sa.Table(
    "published_catalogues",
    metadata,
    sa.Column("version", sa.Text, primary_key=True),
    written_at("published_at"),
)

# The proposal of each order's latest priced version, and where it stands with the customer.
proposals = sa.Table(
    "proposals",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("order_version", sa.Integer, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    # The hand-off waits for the customer's acceptance: the policy asks for a signature the order lacked.
    sa.Column("signature_required", sa.Boolean, nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.Column("sent_by", sa.Text),
    sa.Column("expires_on", sa.Date),
    sa.Column("signed_by", sa.Text),
    sa.Column("signed_on", sa.Date),
    sa.Column("declined_reason", sa.Text),
    sa.Column("decided_by", sa.Text),
    sa.Column("decided_at", sa.DateTime(timezone=True)),
    sa.Index("proposals_sent_by_expiry", "expires_on", postgresql_where=sa.text("state = 'sent'")),
)

# The desk's reviews of each version's capital: confirmations, and flags on one site's input (open ones hold the order).
capital_reviews = sa.Table(
    "capital_reviews",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    *order_version_columns(order_indexed=True),
    sa.Column("verdict", sa.Text, nullable=False),
    sa.Column("reviewed_by", sa.Text, nullable=False),
    sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
    # A flag's: the site (item), the input doubted, why, and the team it is sent to.
    sa.Column("item_id", sa.Text),
    sa.Column("doubted_input", sa.Text),
    sa.Column("reason", sa.Text),
    sa.Column("team", sa.Text),
    sa.Column("status", sa.Text),
    sa.Column("resolution", sa.Text),
    sa.Column("resolved_by", sa.Text),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    # Why a flag was closed unresolved: the order was corrected or cancelled.
    sa.Column("closed_because", sa.Text),
)

# Each version of a proposal a rep wrote themselves, as uploaded (the file and its text), with the differences the
# review found in it, the desk's acceptance of any, and its approval.
rep_proposals = sa.Table(
    "rep_proposals",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    *order_version_columns(order_indexed=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("media_type", sa.Text, nullable=False),
    sa.Column("size_bytes", sa.Integer, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("differences", JSONB, nullable=False),
    sa.Column("uploaded_by", sa.Text, nullable=False),
    sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("approved_by", sa.Text),
    sa.Column("approved_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("order_id", "version"),
)

# Everyone who corrected each order (orders.corrected): with its submitter and reps, who may not approve it.
order_correctors = order_correctors_table(metadata)

# Orders corrected or cancelled since they were priced: no decision is taken on a dead version.
order_versions = order_versions_table(metadata)
