"""The order's whole TMF622 lifecycle: what stopped it and each item's outcome at Operations, cancellation
requests, the installed base, likely duplicates, and the findings each rep is coached on.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SCHEMA = "intake"


def upgrade() -> None:
    for column in (
        sa.Column("stopped_at", sa.Text),
        sa.Column("item_ids", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("item_outcomes", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("completed_on", sa.Date),
        sa.Column("account_key", sa.Text),
        sa.Column("fingerprint", sa.Text),
    ):
        op.add_column("orders", column, schema=SCHEMA)
    op.execute(
        f"UPDATE {SCHEMA}.orders SET item_ids = ARRAY(SELECT jsonb_array_elements(order_document->'items')->>'id')"
    )
    op.create_index("orders_likely_duplicates", "orders", ["account_key", "fingerprint", "created_at"], schema=SCHEMA)
    op.create_table(
        "cancel_requests",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("order_id", sa.Text, nullable=False, index=True),
        sa.Column("order_version", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_cancellation_date", sa.DateTime(timezone=True)),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("effective_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.Text),
        schema=SCHEMA,
    )
    op.create_table(
        "installed_products",
        sa.Column("product_id", sa.Text, primary_key=True),
        sa.Column("account_id", sa.Text, nullable=False, index=True),
        sa.Column("offering_id", sa.Text, nullable=False),
        sa.Column("characteristics", JSONB, nullable=False),
        sa.Column("location", JSONB),
        sa.Column("mrc", sa.Numeric(12, 2)),
        sa.Column("term_months", sa.Integer),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("order_id", sa.Text),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_table(
        "findings_made",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("order_id", sa.Text, nullable=False),
        sa.Column("order_version", sa.Integer, nullable=False),
        sa.Column("stage", sa.Text, nullable=False),
        sa.Column("reason_code", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("reps", ARRAY(sa.Text), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Index("findings_made_by_time", "made_at"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in ("findings_made", "installed_products", "cancel_requests"):
        op.drop_table(table, schema=SCHEMA)
    op.drop_index("orders_likely_duplicates", "orders", schema=SCHEMA)
    for column in ("fingerprint", "account_key", "completed_on", "item_outcomes", "item_ids", "stopped_at"):
        op.drop_column("orders", column, schema=SCHEMA)
