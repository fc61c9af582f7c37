"""A consumer runtime for integration tests that run a service's handlers on their own group. Apart from
orderdesk_stack.testing, the pytest plugin every run loads: the consumer runtime brings OpenTelemetry and aiokafka
with it, which most test runs never need."""

from collections.abc import Mapping

from orderdesk_shared.consumer import ConsumerRuntime, ConsumerSettings, Handler
from orderdesk_shared.db import Database
from orderdesk_shared.events.base import Fact
from orderdesk_shared.kafka_connection import KafkaConnection


def consumer_for_test(
    database: Database, kafka: KafkaConnection, handlers: Mapping[type[Fact], Handler], *, group_id: str
) -> ConsumerRuntime:
    """A consumer runtime of the test's own group: a service's, but patient with a slow shared machine (10 s a
    handler) and quick to try a paused partition again."""
    return ConsumerRuntime(
        settings=ConsumerSettings(
            group_id=group_id,
            kafka=kafka,
            batch_size=50,
            handler_timeout_seconds=10,
            max_poll_interval_ms=60_000,
            retry_attempts=3,
            paused_partition_retry_seconds=0.5,
        ),
        database=database,
        handlers=handlers,
    )
