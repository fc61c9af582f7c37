"""Serviceability's tables, in the `serviceability` schema."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from orderdesk_shared.hub import hub_tables
from orderdesk_shared.messaging import service_metadata
from orderdesk_shared.reference import reference_versions_table
from orderdesk_shared.table_columns import order_version_columns, written_at

metadata, messaging = service_metadata("serviceability")

locations = sa.Table(
    "locations",
    metadata,
    sa.Column("location_id", sa.Text, primary_key=True),
    # The building's USPS-normalized address without a unit: what order sites are matched on.
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
    written_at("updated_at"),
    sa.UniqueConstraint("street", "city", "state", "postcode", name="locations_building"),
)

qualifications = sa.Table(
    "qualifications",
    metadata,
    *order_version_columns(primary_key=True),
    sa.Column("outcome", sa.Text, nullable=False),
    # The validated order as received: a decision is taken again from it when a survey completes.
    sa.Column("order_document", JSONB, nullable=False),
    sa.Column("sites", JSONB, nullable=False),
    sa.Column("findings", JSONB, nullable=False),
    written_at("decided_at"),
    written_at("updated_at"),
)

site_surveys = sa.Table(
    "site_surveys",
    metadata,
    sa.Column("survey_id", sa.Text, primary_key=True),
    *order_version_columns(),
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
    sa.Index("site_surveys_order", "order_id", "order_version"),
    sa.Index("site_surveys_open_by_due", "due_at", postgresql_where=sa.text("state = 'open'")),
)


def _answers_table(name: str) -> sa.Table:
    """TMF645 requests of one kind, each with the resource it was answered with and who asked (a sales rep lists
    their own), newest first."""
    return sa.Table(
        name,
        metadata,
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("resource", JSONB, nullable=False),
        written_at("created_at"),
        sa.Index(f"{name}_newest", sa.text("created_at DESC"), "id"),
    )


# Every TMF645 checkServiceQualification and its answer: whether and how each site can be served.
service_qualification_checks = _answers_table("service_qualification_checks")

# Every TMF645 queryServiceQualification and its answer: the offerings found at a place.
service_qualification_queries = _answers_table("service_qualification_queries")

# Each catalogue version pricing-approval announced; the offerings served at a site follow it.
reference_versions = reference_versions_table(metadata)

# TMF645 listeners and the notifications fanned out to them (orderdesk_shared.hub).
hub = hub_tables(metadata)
