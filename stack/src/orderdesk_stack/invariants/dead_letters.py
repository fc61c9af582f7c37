"""The records some service could not handle and dead-lettered, as its dead_letters table keeps them, and which of
them an SRE replayed."""

from collections import defaultdict

import asyncpg

from orderdesk_stack.services import SERVICES


async def orders_dead_letters(database: asyncpg.Connection, order_ids: list[str]) -> defaultdict[str, list[str]]:
    """Each order's records some service could not handle, with the reason it kept (the key is the order id); not
    those an SRE replayed, which were handled again (or failed again, as a dead letter of their own)."""
    rows = await database.fetch(
        " UNION ALL ".join(
            f"""SELECT key, consumer, topic, headers ->> 'ce_type' AS type, error_class, reason
                FROM {service.schema}.dead_letters WHERE key IN (SELECT unnest($1::text[]))
                AND resolution IS DISTINCT FROM 'replayed'"""
            for service in SERVICES
        ),
        order_ids,
    )
    found: defaultdict[str, list[str]] = defaultdict(list)
    for row in rows:
        found[row["key"]].append(
            dead_letter_reason(row["consumer"], row["type"], row["topic"], row["error_class"], row["reason"])
        )
    return found


# Where a consumer read a record it dead-lettered: consumer, topic, replay topic ("" when read from its topic),
# partition and offset, as its dead letter names it (dead_letters row, or the `dlt-` headers on `<topic>.dlt`).
ReadAt = tuple[str, str, str, str, str]


async def replayed_dead_letters(database: asyncpg.Connection, order_ids: list[str]) -> set[ReadAt]:
    """The orders' dead letters an SRE replayed: their records on the `.dlt` topics explain nothing either."""
    rows = await database.fetch(
        " UNION ALL ".join(
            f"""SELECT consumer, topic, coalesce(replay_topic, '') AS replay_topic, partition::text, "offset"::text
                FROM {service.schema}.dead_letters WHERE key IN (SELECT unnest($1::text[]))
                AND resolution = 'replayed'"""
            for service in SERVICES
        ),
        order_ids,
    )
    return {tuple(row.values()) for row in rows}


def dead_letter_reason(consumer: str, event_type: str | None, topic: str, error_class: str, reason: str) -> str:
    return f"{consumer} dead-lettered {event_type or 'a record'} from {topic}: {error_class}: {reason}"
