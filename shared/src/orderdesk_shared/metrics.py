"""Prometheus metrics every service exposes at /metrics."""

from prometheus_client import Counter, Gauge, Histogram

EVENTS_HANDLED = Counter(
    "orderdesk_events_handled_total",
    "Records a consumer finished with, by outcome (handled, duplicate, skipped, dead_lettered).",
    ["consumer", "event_type", "outcome"],
)
HANDLER_FAILURES = Counter(
    "orderdesk_handler_failures_total",
    "Failures while handling: transient ones (the poll retried, then paused) and a record's failures and timeouts.",
    ["consumer", "error_class"],
)
HANDLER_SECONDS = Histogram(
    "orderdesk_handler_seconds",
    "Time spent in one event handler.",
    ["consumer", "event_type"],
)
OUTBOX_BACKLOG = Gauge("orderdesk_outbox_backlog", "Outbox rows not yet published.", ["service"])
EVENTS_PUBLISHED = Counter("orderdesk_events_published_total", "Outbox rows published to Kafka.", ["service", "topic"])
OUTBOX_DEAD_LETTERED = Counter(
    "orderdesk_outbox_dead_lettered_total",
    "Outbox rows Kafka can never take (too large, unserialisable), kept in dead_letters instead.",
    ["service", "topic", "error_class"],
)
CONSUMER_LAG = Gauge(
    "orderdesk_consumer_lag", "Records behind the end of each assigned partition.", ["consumer", "topic", "partition"]
)
RELAY_LEADER = Gauge(
    "orderdesk_relay_leader",
    "1 while this replica's outbox relay holds its service's relay lock (it alone publishes), else 0.",
    ["service"],
)
RELAY_LAST_CYCLE = Gauge(
    "orderdesk_relay_last_cycle_timestamp_seconds",
    "Unix time the leading relay last finished a cycle: its batch published and marked, or nothing waiting.",
    ["service"],
)
DEAD_LETTERS_OPEN = Gauge(
    "orderdesk_dead_letters_open",
    "Dead letters of the service (its consumer's and its relay's) not yet replayed or discarded, counted by the relay.",
    ["service"],
)
NOTIFICATIONS_DELIVERED = Counter(
    "orderdesk_notifications_delivery_attempts",
    "TMF hub notifications sent to listeners, by outcome (delivered, retry, dead).",
    ["service", "outcome"],
)
NOTIFICATIONS_DEAD = Counter(
    "orderdesk_notifications_dead",
    "TMF hub notifications dead-lettered: their listener did not take them before their retries ran out.",
    ["service"],
)
