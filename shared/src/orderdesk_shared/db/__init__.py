"""Database access: the engine and the unit of work that commits state, outbox and inbox together, the inserts
and upserts written as text, JSON columns' text, and the retention of the bookkeeping rows."""

from orderdesk_shared.db.inserts import (
    insert_all,
    insert_all_if_absent,
    insert_if_absent,
    insert_or_supersede,
    insert_or_update,
    insert_or_update_all,
    quoted_table,
)
from orderdesk_shared.db.json_columns import json_records, json_text
from orderdesk_shared.db.messaging_statements import outbox_channel
from orderdesk_shared.db.retention import DEFAULT_RETENTION, PURGE_BATCH_ROWS, Retention, purge_expired
from orderdesk_shared.db.unit_of_work import Database, UnitOfWork

__all__ = [
    "DEFAULT_RETENTION",
    "PURGE_BATCH_ROWS",
    "Database",
    "Retention",
    "UnitOfWork",
    "insert_all",
    "insert_all_if_absent",
    "insert_if_absent",
    "insert_or_supersede",
    "insert_or_update",
    "insert_or_update_all",
    "json_records",
    "json_text",
    "outbox_channel",
    "purge_expired",
    "quoted_table",
]
