"""Commission's tables, in the `commission` schema."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from orderdesk_shared.messaging import service_metadata
from orderdesk_shared.order_correctors import order_correctors_table
from orderdesk_shared.table_columns import written_at

metadata, messaging = service_metadata("commission")

MONEY = sa.Numeric(14, 2)

ratifications = sa.Table(
    "ratifications",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("order_version", sa.Integer, nullable=False),
    sa.Column("order_type", sa.Text, nullable=False),
    sa.Column("account_key", sa.Text, nullable=False),
    sa.Column("order_date", sa.Date, nullable=False),
    sa.Column("eligible", sa.Boolean, nullable=False),
    sa.Column("reasons", JSONB, nullable=False),
    sa.Column("explanation", JSONB, nullable=False),
    sa.Column("commissionable_mrr", MONEY, nullable=False),
    sa.Column("multiplier", sa.Numeric(6, 3), nullable=False),
    sa.Column("commission_total", MONEY, nullable=False),
    sa.Column("reps", JSONB, nullable=False),
    sa.Column("basis_mrc", MONEY, nullable=False),
    sa.Column("billed_mrc", MONEY, nullable=False),
    # Each item's part of the commissionable MRR (decimal strings): what a report on some items moves.
    sa.Column("item_mrr", JSONB, nullable=False, server_default="{}"),
    written_at("ratified_at"),
    # Who submitted the order: with its reps, who may not decide a dispute about it.
    sa.Column("submitted_by", sa.Text),
)

order_offerings = sa.Table(
    "order_offerings",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("offering_id", sa.Text, primary_key=True),
    # Recording order: the latest row of an account's offering holds its MRC now.
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
    # An account's offering in recording order: its latest row, its last disconnect and the sales since are the end
    # of a range, whatever the account's history before.
    sa.Index("order_offerings_by_account_seq", "account_key", "offering_id", "seq"),
)

# Each eligible order offering once per location it was sold at: a sale an order can duplicate is at one of the
# order's locations, so the duplicate check reads an index range of those, not every sale of a busy account's
# offering. Written and deleted with the order's offerings.
sale_locations = sa.Table(
    "sale_locations",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("offering_id", sa.Text, primary_key=True),
    sa.Column("location_key", sa.Text, primary_key=True),
    sa.Column("account_key", sa.Text, nullable=False),
    sa.Column("order_type", sa.Text, nullable=False),
    sa.Column("order_date", sa.Date, nullable=False),
    sa.Index("sale_locations_by_place", "account_key", "offering_id", "order_type", "location_key", "order_date"),
)

order_progress = sa.Table(
    "order_progress",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("installed_on", sa.Date),
    sa.Column("cancelled_on", sa.Date),
    sa.Column("failure", sa.Text),
    # The items Operations reported installed or cancelled, in the order reported; "*" is the whole order.
    sa.Column("installed_items", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("cancelled_items", ARRAY(sa.Text), nullable=False, server_default="{}"),
    written_at("updated_at"),
)

ledger_entries = sa.Table(
    "ledger_entries",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    # What the entry records, named so that the same fact handled again finds it already there.
    sa.Column("entry_key", sa.Text, nullable=False, unique=True),
    sa.Column("rep_id", sa.Text, nullable=False),
    sa.Column("order_id", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("accrued_change", MONEY, nullable=False),
    sa.Column("payable_change", MONEY, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("effective_on", sa.Date, nullable=False),
    sa.Column("dispute_id", sa.Text),
    written_at("recorded_at"),
    sa.Index("ledger_entries_by_rep", "rep_id", "effective_on"),
    sa.Index("ledger_entries_by_order", "order_id"),
)

disputes = sa.Table(
    "disputes",
    metadata,
    sa.Column("dispute_id", sa.Text, primary_key=True),
    sa.Column("order_id", sa.Text, nullable=False, index=True),
    sa.Column("rep_id", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("claim", sa.Text, nullable=False),
    sa.Column("opened_on", sa.Date, nullable=False),
    sa.Column("decided_by", sa.Text),
    sa.Column("decided_on", sa.Date),
    sa.Column("decision", sa.Text),
    sa.Column("adjustment", MONEY),
)

dispute_history = sa.Table(
    "dispute_history",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("dispute_id", sa.Text, nullable=False, index=True),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("adjustment", MONEY),
    written_at("at"),
)

# Each roster version announced on roster.published, so a restart does not announce it again.
published_rosters = sa.Table(
    "published_rosters",
    metadata,
    sa.Column("version", sa.Text, primary_key=True),
    written_at("published_at"),
)

# Everyone who corrected each order (orders.corrected): with its submitter and reps, who may not decide its disputes.
order_correctors = order_correctors_table(metadata)
