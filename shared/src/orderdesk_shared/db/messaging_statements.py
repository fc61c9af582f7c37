"""The unit of work's own statements over a service's messaging tables: inbox claims, order traces, the outbox."""

import functools

import sqlalchemy as sa

from orderdesk_shared.db.inserts import quoted_column, quoted_table
from orderdesk_shared.messaging import MessagingTables


# The runtime's own statements, once per transaction, go to the asyncpg connection itself as SQL with positional
# parameters: through SQLAlchemy each cost a greenlet switch, a compiled-cache lookup and a result object.
@functools.cache
def claim_sql(inbox: sa.Table) -> str:
    return (
        f"INSERT INTO {quoted_table(inbox)} (consumer, message_id) "
        "SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING RETURNING message_id"
    )


@functools.cache
def keep_order_traces_sql(order_traces: sa.Table) -> str:
    return (
        f"INSERT INTO {quoted_table(order_traces)} (order_id, traceparent, tracestate) "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING"
    )


@functools.cache
def order_trace_statement(order_traces: sa.Table) -> sa.TextClause:
    sql = f"SELECT traceparent, tracestate FROM {quoted_table(order_traces)} WHERE order_id = :order_id"
    return sa.text(sql).bindparams(sa.bindparam("order_id", type_=sa.Text))


# The outbox columns a transaction writes, with the type of each column's array of values.
_OUTBOX_VALUES = (
    ("id", "ids", "uuid[]"),
    ("aggregate_type", "aggregate_types", "text[]"),
    ("aggregate_id", "aggregate_ids", "text[]"),
    ("type", "types", "text[]"),
    ("topic", "topics", "text[]"),
    ("payload", "payloads", "bytea[]"),
    ("headers", "headers", "jsonb[]"),
    ("traceparent", "traceparents", "text[]"),
    ("tracestate", "tracestates", "text[]"),
    ("order_version", "order_versions", "integer[]"),
)


@functools.cache
def outbox_insert_sql(outbox: sa.Table) -> str:
    """The transaction's outbox rows in one statement, one array per column; `seq` follows the arrays' order.

    The statement first takes the outbox lock and notifies the relay (`locked`, a one-row subquery joined to every
    row: no row reaches the insert, and so takes a `seq`, before the lock is held): one round trip, not two.
    Parameters: the lock's name, the channel, then one array per column of `_OUTBOX_VALUES`.
    """
    columns = ", ".join(quoted_column(column) for column, _, _ in _OUTBOX_VALUES)
    # Headers arrive as JSON text; the cast makes them jsonb on the server.
    arrays = ", ".join(
        f"${number}::text[]::jsonb[]" if name == "headers" else f"${number}::{array_type}"
        for number, (_, name, array_type) in enumerate(_OUTBOX_VALUES, start=3)
    )
    return (
        f"INSERT INTO {quoted_table(outbox)} ({columns}) SELECT {columns} "
        f"FROM unnest({arrays}) WITH ORDINALITY AS pending({columns}, ordinal), "
        "(SELECT pg_advisory_xact_lock(hashtext($1)), pg_notify($2, '')) AS locked ORDER BY ordinal"
    )


def outbox_channel(tables: MessagingTables) -> str:
    """The LISTEN/NOTIFY channel that wakes a service's relay."""
    return f"{tables.schema}_outbox"
