"""The hub's tables in a service's metadata: the listeners' subscriptions, and each notification fanned out to one
of them until it is delivered or dead-lettered."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from orderdesk_shared.table_columns import written_at


@dataclass(frozen=True)
class HubTables:
    subscriptions: sa.Table
    notifications: sa.Table


def hub_tables(metadata: sa.MetaData) -> HubTables:
    """Add the hub's tables to a service's metadata."""
    subscriptions = sa.Table(
        "hub_subscriptions",
        metadata,
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("callback", sa.Text, nullable=False),
        sa.Column("query", sa.Text),
        # The query as the fan-out applies it: each dotted path with the values it may have.
        sa.Column("filter", JSONB, nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("registrant", sa.Text, nullable=False),
        # What the registrant may see: NULL for everything, else one audience tag (a person, a channel).
        sa.Column("audience", sa.Text),
        written_at("created_at"),
    )
    notifications = sa.Table(
        "hub_notifications",
        metadata,
        # Fan-out order is delivery order: a listener gets each resource's events in the order they happened.
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        # Unregistering stops deliveries: the subscription's notifications go with it.
        sa.Column(
            "subscription_id",
            sa.Text,
            sa.ForeignKey(subscriptions.c.id, ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        written_at("next_attempt_at"),
        written_at("created_at"),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        # Dead-lettered: the retries ran out; `last_error` says why.
        sa.Column("dead_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        sa.UniqueConstraint("subscription_id", "event_id", name="hub_notifications_once_per_subscription"),
        sa.Index(
            "hub_notifications_pending",
            "subscription_id",
            "id",
            postgresql_where=sa.text("delivered_at IS NULL AND dead_at IS NULL"),
        ),
        sa.Index("hub_notifications_dead", "dead_at", postgresql_where=sa.text("dead_at IS NOT NULL")),
    )
    return HubTables(subscriptions=subscriptions, notifications=notifications)
