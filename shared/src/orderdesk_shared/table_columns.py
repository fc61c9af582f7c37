"""Columns the services' tables declare alike, declared once: a row's time of writing, and the order version a row
is about."""

from typing import Any

import sqlalchemy as sa


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
