"""Intake's tables, in the `intake` schema."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from orderdesk_shared.hub import hub_tables
from orderdesk_shared.messaging import service_metadata
from orderdesk_shared.reference import reference_versions_table
from orderdesk_shared.table_columns import order_version_columns, service_request_columns, written_at

metadata, messaging = service_metadata("intake")

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("external_id", sa.Text),
    # A list filtered by the caller's own order id finds its orders without reading every one.
    sa.Index("orders_external_id", "external_id"),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("order_type", sa.Text, nullable=False),
    sa.Column("account_id", sa.Text),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("stage", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    # An Idempotency-Key is the caller's own: the same key from two callers makes two orders.
    sa.Column("idempotency_key", sa.Text),
    sa.Column("idempotency_owner", sa.Text),
    sa.Column("order_document", JSONB, nullable=False),
    # The submission as the channel sent it (TMF622 for the API), which PATCH merges into.
    sa.Column("request_document", JSONB),
    sa.Column("findings", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    written_at("created_at"),
    written_at("updated_at"),
    # The stage whose fallout stopped the order (held, pending, rejected), as orderdesk_shared.order_state keeps it.
    sa.Column("stopped_at", sa.Text),
    sa.Column("item_ids", ARRAY(sa.Text), nullable=False, server_default="{}"),
    # What Operations made of each item it reported on: completed, failed or cancelled.
    sa.Column("item_outcomes", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("completed_on", sa.Date),
    # The account (its id, or a new logo's tax id or name) and what the order asks for at which sites:
    # an order like another of the same account within the window is a likely duplicate.
    sa.Column("account_key", sa.Text),
    sa.Column("fingerprint", sa.Text),
    sa.Index("orders_likely_duplicates", "account_key", "fingerprint", "created_at"),
    # The people a sales rep sees the order as their own by (orderdesk_shared.access): its submitter and named reps.
    sa.Column("people", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Index("orders_people", "people", postgresql_using="gin"),
    sa.UniqueConstraint("idempotency_owner", "idempotency_key", name="orders_idempotency_key_per_caller"),
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
    written_at("recorded_at"),
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
    written_at("received_at"),
)

# Each version of the catalogue (pricing-approval) and the rep roster (commission) announced.
reference_versions = reference_versions_table(metadata)

# TMF622 CancelProductOrder: each request to cancel an order and how it ended.
cancel_requests = sa.Table(
    "cancel_requests",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    *order_version_columns(order_indexed=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("requested_by", sa.Text, nullable=False),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("requested_cancellation_date", sa.DateTime(timezone=True)),
    # TMF TaskStateType: acknowledged, inProgress (waiting for Operations), done, terminatedWithError.
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("effective_at", sa.DateTime(timezone=True)),
    # How it ended, in words: cancelled at once, Operations stopped the work, or why it could not be done.
    sa.Column("outcome", sa.Text),
    # The CancelProductOrder_Create as sent: what OrderDesk does not read (@type, extensions) reads back from it.
    sa.Column("document", JSONB),
)

# Each account's products as OrderDesk handed them off and Operations installed them: what a change or
# disconnect naming only the product is about. Products from before OrderDesk are in the seed file.
installed_products = sa.Table(
    "installed_products",
    metadata,
    sa.Column("product_id", sa.Text, primary_key=True),
    sa.Column("account_id", sa.Text, nullable=False, index=True),
    sa.Column("offering_id", sa.Text, nullable=False),
    sa.Column("characteristics", JSONB, nullable=False),
    sa.Column("location", JSONB),
    sa.Column("mrc", sa.Numeric(12, 2)),
    sa.Column("term_months", sa.Integer),
    # ordered (handed off), installed, disconnecting, disconnected.
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("order_id", sa.Text),
    written_at("updated_at"),
)

# Every finding made on an order, at any stage, with the reps it names: what coaching counts per rep.
findings_made = sa.Table(
    "findings_made",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    *order_version_columns(),
    sa.Column("stage", sa.Text, nullable=False),
    sa.Column("reason_code", sa.Text, nullable=False),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("reps", ARRAY(sa.Text), nullable=False),
    written_at("made_at"),
    sa.Index("findings_made_by_time", "made_at"),
)

# TMF622 listeners and the notifications fanned out to them (orderdesk_shared.hub).
hub = hub_tables(metadata)

# The desk's records of clients (intake.domain.accounts): a CRM account is a client under its own id, a new client
# gets a CL- id. A client is matched by its tax id, else by its legal name; one tax id is one client, and one name
# one client without a tax id, so two orders of a new client at once open it once.
clients = sa.Table(
    "clients",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("legal_name", sa.Text, nullable=False),
    sa.Column("name_key", sa.Text, nullable=False, index=True),
    sa.Column("tax_id", sa.Text),
    sa.Column("tax_key", sa.Text),
    sa.Column("addresses", JSONB, nullable=False),
    sa.Column("contacts", JSONB, nullable=False),
    written_at("created_at"),
    sa.Index("clients_tax_key", "tax_key", unique=True, postgresql_where=sa.text("tax_key IS NOT NULL")),
    sa.Index("clients_name_key_without_tax_id", "name_key", unique=True, postgresql_where=sa.text("tax_key IS NULL")),
)
# A client's billing address (its first), by which a new client with another tax id but the same name and address is
# told apart from another company of that name; indexed with the name, so the check reads those rows only.
BILLING_ADDRESS = clients.c.addresses.op("->")(sa.literal_column("0"))
sa.Index("clients_name_billing_address", clients.c.name_key, BILLING_ADDRESS)

# A client's service account per site (its normalized address) and billing account per billing system.
service_accounts = sa.Table(
    "service_accounts",
    metadata,
    sa.Column("number", sa.Text, primary_key=True),
    sa.Column("client_id", sa.Text, sa.ForeignKey("intake.clients.id"), nullable=False),
    sa.Column("site_key", sa.Text, nullable=False),
    sa.Column("site", JSONB, nullable=False),
    written_at("opened_at"),
    sa.UniqueConstraint("client_id", "site_key", name="service_accounts_one_per_site"),
)

billing_accounts = sa.Table(
    "billing_accounts",
    metadata,
    sa.Column("number", sa.Text, primary_key=True),
    sa.Column("client_id", sa.Text, sa.ForeignKey("intake.clients.id"), nullable=False),
    sa.Column("billing_system", sa.Text, nullable=False),
    written_at("opened_at"),
    sa.UniqueConstraint("client_id", "billing_system", name="billing_accounts_one_per_system"),
)

# The serials client ids and account numbers are made of: never one twice.
account_serials = sa.Sequence("account_serials", metadata=metadata)

# The service requests the desk opens on orders for other departments (intake.domain.service_requests), as each
# stands after its latest change.
service_requests = sa.Table(
    "service_requests",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    *order_version_columns(order_indexed=True),
    sa.Column("kind", sa.Text, nullable=False),
    *service_request_columns(),
    sa.Column("opened_by", sa.Text, nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("changed_by", sa.Text, nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("note", sa.Text),
)
