"""The tables every service keeps for reliable messaging: outbox, inbox and dead letters, and each order's trace."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from orderdesk_shared.table_columns import written_at


@dataclass(frozen=True)
class MessagingTables:
    outbox: sa.Table
    inbox: sa.Table
    dead_letters: sa.Table
    order_traces: sa.Table

    @property
    def schema(self) -> str:
        return self.outbox.schema or "public"

    def backlog_count(self) -> sa.Select:
        """How many outbox rows wait for the relay (the partial index of unpublished rows keeps this cheap)."""
        return sa.select(sa.func.count()).select_from(self.outbox).where(self.outbox.c.published_at.is_(None))

    def open_dead_letters_count(self) -> sa.Select:
        """How many dead letters no SRE has replayed or discarded yet."""
        letters = self.dead_letters
        return sa.select(sa.func.count()).select_from(letters).where(letters.c.resolved_at.is_(None))


def service_metadata(schema: str) -> tuple[sa.MetaData, MessagingTables]:
    """A service's metadata in its own schema, holding the messaging tables already."""
    metadata = sa.MetaData(schema=schema)
    return metadata, messaging_tables(metadata)


def messaging_tables(metadata: sa.MetaData) -> MessagingTables:
    """Add the outbox, inbox, dead_letters and order_traces tables to a service's metadata (its schema)."""
    outbox = sa.Table(
        "outbox",
        metadata,
        # Debezium's outbox columns, plus what the relay needs to publish a binary-mode record.
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column("seq", sa.BigInteger, sa.Identity(), nullable=False, unique=True),
        sa.Column("aggregate_type", sa.Text, nullable=False),
        sa.Column("aggregate_id", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("headers", JSONB, nullable=False),
        sa.Column("traceparent", sa.Text),
        sa.Column("tracestate", sa.Text),
        # The version of the order an event is about, for the relay's publish span (None: not about an order).
        sa.Column("order_version", sa.Integer),
        written_at("created_at"),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Index("outbox_unpublished", "seq", postgresql_where=sa.text("published_at IS NULL")),
        # The purge's range (published before the retention): without it, each purge read the whole outbox to find
        # what had aged, and a day's outbox of a busy service is hundreds of thousands of rows.
        sa.Index("outbox_published_at", "published_at", postgresql_where=sa.text("published_at IS NOT NULL")),
    )
    inbox = sa.Table(
        "inbox",
        metadata,
        sa.Column("consumer", sa.Text, primary_key=True),
        sa.Column("message_id", sa.Text, primary_key=True),
        written_at("received_at"),
        # The retention purge finds old rows by age.
        sa.Index("inbox_received_at", "received_at"),
    )
    dead_letters = sa.Table(
        "dead_letters",
        metadata,
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("consumer", sa.Text, nullable=False),
        # The topic the record belongs to; for a replayed record that failed again, also the replay topic it was
        # read from, which `partition` and `offset` are then of (NULL when read from `topic` itself).
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("replay_topic", sa.Text),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column("key", sa.Text),
        sa.Column("headers", JSONB, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("error_class", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        written_at("created_at"),
        # What an SRE did about it (replayed or discarded), who, when and why: its audit line; open while NULL.
        sa.Column("resolution", sa.Text),
        sa.Column("resolved_by", sa.Text),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.Column("resolution_note", sa.Text),
        # One row per record read, wherever it was read: a redelivery is kept once.
        sa.UniqueConstraint(
            "consumer",
            "topic",
            "replay_topic",
            "partition",
            "offset",
            name="dead_letters_record_key",
            postgresql_nulls_not_distinct=True,
        ),
        sa.Index("dead_letters_created_at", "created_at"),
    )
    order_traces = sa.Table(
        "order_traces",
        metadata,
        # The first trace context the service saw the order in; every later step joins that trace.
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("traceparent", sa.Text, nullable=False),
        sa.Column("tracestate", sa.Text),
        written_at("recorded_at"),
    )
    return MessagingTables(outbox=outbox, inbox=inbox, dead_letters=dead_letters, order_traces=order_traces)
