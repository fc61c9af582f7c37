"""Who an order belongs to, for per-order access: the people a sales rep sees it as (its submitter and named reps,
casefolded), and Idempotency-Keys scoped to the caller who sent them, so one caller's key never finds another's order.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SCHEMA = "intake"


def upgrade() -> None:
    op.add_column("orders", sa.Column("people", ARRAY(sa.Text), nullable=False, server_default="{}"), schema=SCHEMA)
    op.add_column("orders", sa.Column("idempotency_owner", sa.Text), schema=SCHEMA)
    op.execute(
        f"UPDATE {SCHEMA}.orders SET"
        " people = ARRAY(SELECT DISTINCT lower(person) FROM ("
        "   SELECT order_document->>'submittedBy' AS person"
        "   UNION ALL SELECT jsonb_array_elements(order_document->'salesReps')->>'repId'"
        " ) AS named WHERE person IS NOT NULL),"
        " idempotency_owner = CASE WHEN idempotency_key IS NOT NULL THEN order_document->>'submittedBy' END"
    )
    op.create_index("orders_people", "orders", ["people"], postgresql_using="gin", schema=SCHEMA)
    op.drop_constraint("orders_idempotency_key_key", "orders", schema=SCHEMA)
    op.create_unique_constraint(
        "orders_idempotency_key_per_caller", "orders", ["idempotency_owner", "idempotency_key"], schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_constraint("orders_idempotency_key_per_caller", "orders", schema=SCHEMA)
    op.create_unique_constraint("orders_idempotency_key_key", "orders", ["idempotency_key"], schema=SCHEMA)
    op.drop_index("orders_people", "orders", schema=SCHEMA)
    op.drop_column("orders", "idempotency_owner", schema=SCHEMA)
    op.drop_column("orders", "people", schema=SCHEMA)
