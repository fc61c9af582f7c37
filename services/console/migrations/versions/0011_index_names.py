"""The indexes of its columns marked `index=True` named as the console's tables name them (SQLAlchemy's
ix_<schema>_<table>_<column>), so that a migration written from the tables finds them.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

SCHEMA = "console"

# Each index as the first migrations named it, and as the tables name it.
RENAMED = {
    "ix_timeline_events_order_id": "ix_console_timeline_events_order_id",
    "ix_orders_received_at": "ix_console_orders_received_at",
    "ix_orders_last_event_at": "ix_console_orders_last_event_at",
    "ix_orders_handed_off_at": "ix_console_orders_handed_off_at",
    "ix_orders_ratified_at": "ix_console_orders_ratified_at",
}


def upgrade() -> None:
    for old, new in RENAMED.items():
        op.execute(f"ALTER INDEX {SCHEMA}.{old} RENAME TO {new}")


def downgrade() -> None:
    for old, new in RENAMED.items():
        op.execute(f"ALTER INDEX {SCHEMA}.{new} RENAME TO {old}")
