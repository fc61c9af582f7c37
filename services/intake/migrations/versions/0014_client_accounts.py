"""The desk's records of clients: the clients, their service accounts per site and billing accounts per billing
system, and the serials their ids and numbers are made of.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

SCHEMA = "intake"


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence("account_serials", schema=SCHEMA)))
    op.create_table(
        "clients",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("legal_name", sa.Text, nullable=False),
        sa.Column("name_key", sa.Text, nullable=False),
        sa.Column("tax_id", sa.Text),
        sa.Column("tax_key", sa.Text),
        sa.Column("addresses", JSONB, nullable=False),
        sa.Column("contacts", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_index("ix_intake_clients_name_key", "clients", ["name_key"], schema=SCHEMA)
    op.create_index(
        "clients_tax_key",
        "clients",
        ["tax_key"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("tax_key IS NOT NULL"),
    )
    op.create_index(
        "clients_name_key_without_tax_id",
        "clients",
        ["name_key"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("tax_key IS NULL"),
    )
    op.create_table(
        "service_accounts",
        sa.Column("number", sa.Text, primary_key=True),
        sa.Column("client_id", sa.Text, sa.ForeignKey(f"{SCHEMA}.clients.id"), nullable=False),
        sa.Column("site_key", sa.Text, nullable=False),
        sa.Column("site", JSONB, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("client_id", "site_key", name="service_accounts_one_per_site"),
        schema=SCHEMA,
    )
    op.create_table(
        "billing_accounts",
        sa.Column("number", sa.Text, primary_key=True),
        sa.Column("client_id", sa.Text, sa.ForeignKey(f"{SCHEMA}.clients.id"), nullable=False),
        sa.Column("billing_system", sa.Text, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("client_id", "billing_system", name="billing_accounts_one_per_system"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("billing_accounts", schema=SCHEMA)
    op.drop_table("service_accounts", schema=SCHEMA)
    op.drop_table("clients", schema=SCHEMA)
    op.execute(sa.schema.DropSequence(sa.Sequence("account_serials", schema=SCHEMA)))
