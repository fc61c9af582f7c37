"""Location inventory, site surveys, TMF645 checks; qualifications per order version.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SCHEMA = "serviceability"


def upgrade() -> None:
    op.create_table(
        "locations",
        sa.Column("location_id", sa.Text, primary_key=True),
        sa.Column("street", sa.Text, nullable=False),
        sa.Column("city", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("postcode", sa.Text, nullable=False),
        sa.Column("latitude", sa.Numeric(9, 6), nullable=False),
        sa.Column("longitude", sa.Numeric(9, 6), nullable=False),
        sa.Column("building_lit", sa.Boolean, nullable=False),
        sa.Column("distance_to_fiber_ft", sa.Integer, nullable=False),
        sa.Column("access_medium", sa.Text, nullable=False),
        sa.Column("max_bandwidth_mbps", sa.Integer, nullable=False),
        sa.Column("market", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("street", "city", "state", "postcode", name="locations_building"),
        schema=SCHEMA,
    )
    # The walking skeleton kept one row per order and no order document; its rows cannot be re-decided.
    op.drop_table("qualifications", schema=SCHEMA)
    op.create_table(
        "qualifications",
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("order_version", sa.Integer, primary_key=True),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("order_document", JSONB, nullable=False),
        sa.Column("sites", JSONB, nullable=False),
        sa.Column("findings", JSONB, nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_table(
        "site_surveys",
        sa.Column("survey_id", sa.Text, primary_key=True),
        sa.Column("order_id", sa.Text, nullable=False),
        sa.Column("order_version", sa.Integer, nullable=False),
        sa.Column("item_id", sa.Text, nullable=False),
        sa.Column("location_id", sa.Text),
        sa.Column("site", sa.Text, nullable=False),
        sa.Column("reach", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("jeopardy_raised_at", sa.DateTime(timezone=True)),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        sa.Column("surveyor", sa.Text),
        sa.Column("distance_to_fiber_ft", sa.Integer),
        sa.Column("notes", sa.Text),
        sa.Column("photos", JSONB),
        schema=SCHEMA,
    )
    op.create_index("site_surveys_order", "site_surveys", ["order_id", "order_version"], schema=SCHEMA)
    op.create_index(
        "site_surveys_open_by_due",
        "site_surveys",
        ["due_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("state = 'open'"),
    )
    op.create_table(
        "service_qualification_checks",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("resource", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in ("service_qualification_checks", "site_surveys", "qualifications", "locations"):
        op.drop_table(table, schema=SCHEMA)
    op.create_table(
        "qualifications",
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("order_version", sa.Integer, nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("sites", JSONB, nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
