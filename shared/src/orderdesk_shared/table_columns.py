"""Columns the services' tables declare alike, declared once: a row's time of writing, the order version a row
is about, and what a service request says (intake keeps it, the console's work queue reads it)."""

from typing import Any

import sqlalchemy as sa

from orderdesk_shared.events.intake import ServiceRequestStatus


def written_at(name: str, **options: Any) -> sa.Column:
    """A required time that Postgres fills in with the time of the insert when the insert leaves it out."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now(), **options)


def order_version_columns(*, primary_key: bool = False, order_indexed: bool = False) -> tuple[sa.Column, sa.Column]:
    """`order_id` and `order_version`: the version of an order a row is about (the row's key with `primary_key`)."""
    required: dict[str, Any] = {"primary_key": True} if primary_key else {"nullable": False}
    return (
        sa.Column("order_id", sa.Text, index=order_indexed or None, **required),
        sa.Column("order_version", sa.Integer, **required),
    )


def service_request_columns() -> tuple[sa.Column | sa.Index, ...]:
    """What a service request says, as intake keeps it and the console's work queue lists it, with the open ones
    indexed by due time (the lists across orders read only them)."""
    still_open = ", ".join(f"'{status}'" for status in (ServiceRequestStatus.OPEN, ServiceRequestStatus.IN_PROGRESS))
    return (
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("department", sa.Text, nullable=False),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Index("service_requests_open_by_due_time", "due_at", postgresql_where=sa.text(f"status IN ({still_open})")),
    )
