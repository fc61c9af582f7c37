"""What the services keep (read from Postgres as the admin): each order at intake, why it waits elsewhere, and
effects a service recorded twice."""

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime

import asyncpg

from orderdesk_shared.events.order import Stage
from orderdesk_stack.invariants.accounts import Elsewhere, OrderAtIntake
from orderdesk_stack.invariants.rules import ONCE, STORED_ONCE, effect_named
from orderdesk_stack.services import SERVICES


async def orders_at_intake(
    database: asyncpg.Connection, order_ids: Collection[str] | None, since: datetime | None
) -> dict[str, OrderAtIntake]:
    rows = await database.fetch(
        """
        SELECT id, state, stage, version,
               ARRAY(SELECT coalesce(f ->> 'reasonCode', '') || ': ' || coalesce(f ->> 'message', '')
                     FROM jsonb_array_elements(findings) AS f) AS findings
        FROM intake.orders
        WHERE ($1::text[] IS NULL OR id IN (SELECT unnest($1::text[])))
          AND ($2::timestamptz IS NULL OR created_at >= $2)
        """,
        None if order_ids is None else list(order_ids),
        since,
    )
    found = {
        row["id"]: OrderAtIntake(row["id"], row["state"], row["stage"], row["version"], list(row["findings"]))
        for row in rows
    }
    unknown = [order_id for order_id in order_ids or () if order_id not in found]
    for order_id in unknown:
        found[order_id] = OrderAtIntake(order_id, "unknown to intake", Stage.RECEIVED, 0, [])
    return found


# Why an order waits, as each service records it: (whether Operations has it, a query yielding order id, version and
# reason for the orders in $1).
WAITING_REASONS: tuple[tuple[bool, str], ...] = (
    (
        False,
        """SELECT order_id, order_version, 'site survey ' || survey_id || ' open for ' || site
           FROM serviceability.site_surveys WHERE state = 'open'
             AND order_id IN (SELECT unnest($1::text[]))""",
    ),
    (
        False,
        """SELECT order_id, order_version, 'approval by ' || role || ' pending since ' || requested_at::date
           FROM pricing_approval.approval_requests WHERE status = 'pending'
             AND order_id IN (SELECT unnest($1::text[]))""",
    ),
    (
        False,
        """SELECT order_id, order_version,
                  'hand-off held: ' || coalesce((SELECT string_agg(f ->> 'message', '; ')
                                                 FROM jsonb_array_elements(findings) AS f), 'no finding kept')
           FROM fulfillment.handoffs WHERE state = 'held'
             AND order_id IN (SELECT unnest($1::text[]))""",
    ),
    (
        True,
        """SELECT order_id, handed_off_version,
                  'handed off to Operations (version ' || handed_off_version || ')'
                  || coalesce(', Operations: ' || ops_status, ', not yet acknowledged by Operations')
                  || CASE WHEN cancel_sent_at IS NULL THEN '' ELSE ', asked to stop the work' END
           FROM fulfillment.handoffs WHERE handed_off_version IS NOT NULL
             AND order_id IN (SELECT unnest($1::text[]))""",
    ),
)


async def reasons_elsewhere(database: asyncpg.Connection, order_ids: list[str]) -> dict[str, list[Elsewhere]]:
    found: dict[str, list[Elsewhere]] = defaultdict(list)
    for with_operations, query in WAITING_REASONS:
        for order_id, version, reason in await database.fetch(query, order_ids):
            found[order_id].append(Elsewhere(version, reason, with_operations))
    return found


async def outbox_effects_twice(database: asyncpg.Connection, order_ids: list[str]) -> list[str]:
    """Once-only events each service recorded twice in its outbox (two event ids for one effect); published rows
    stay there for the outbox retention, so this sees what the relay has not deleted yet."""
    types = list(ONCE)
    fields = [ONCE[event_type].per for event_type in types]
    rows = await database.fetch(
        " UNION ALL ".join(
            f"""SELECT '{service.name}' AS service, aggregate_id, type,
                       convert_from(payload, 'UTF8')::jsonb ->> once.field AS part,
                       count(DISTINCT headers ->> 'ce_id') AS n
                FROM {service.schema}.outbox JOIN unnest($2::text[], $3::text[]) AS once(type, field) USING (type)
                WHERE aggregate_type = 'order'
                  AND (once.field IS NULL OR aggregate_id IN (SELECT unnest($1::text[])))
                GROUP BY aggregate_id, type, part HAVING count(DISTINCT headers ->> 'ce_id') > 1"""
            for service in SERVICES
        ),
        order_ids,
        types,
        fields,
    )
    return [
        f"{row['service']} recorded the {effect_named(row['type'], row['aggregate_id'], row['part'])} "
        f"{row['n']} times in its outbox"
        for row in rows
    ]


async def rows_twice(database: asyncpg.Connection, order_ids: list[str]) -> list[str]:
    """Decisions taken once that a service's table holds more than once."""
    found = []
    for effect in STORED_ONCE:
        columns = ", ".join(effect.once_per)
        rows = await database.fetch(
            f"""SELECT {columns}, count(*) AS n FROM {effect.table}
                WHERE {effect.once_per[0]} IN (SELECT unnest($1::text[]))
                GROUP BY {columns} HAVING count(*) > 1""",
            order_ids,
        )
        found += [
            f"{effect.service} holds the {effect.name} of "
            + ", ".join(f"{column} {row[column]}" for column in effect.once_per)
            + f" {row['n']} times in {effect.table}"
            for row in rows
        ]
    return found
